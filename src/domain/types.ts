// Domain types shared by every backend, the CLI and the extension. Plain data only: these are what the
// store persists as JSON, so every field must survive JSON.stringify/parse unchanged.

export type Framework = 'onnx' | 'tensorflow';

/** ONNX-style element type names; the wire maps them to TF DataType. */
export type TensorDType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'unknown';

/** A dimension is a fixed size, or a symbolic name (e.g. "batch_size") when dynamic. */
export type Dim = number | string;

export interface TensorSpec {
  name: string;
  dtype: TensorDType;
  shape: Dim[];
}

/** Preset names follow the model families of the original service, plus MobileNetV2 and "none". */
export type PresetName = 'resnet50' | 'resnet152' | 'densenet121' | 'vgg16' | 'ssdvgg' | 'mobilenetv2' | 'none';

/** Layout (NCHW/NHWC) is not part of a preset: it follows from the model's input shape. */
export interface PreprocessingPreset {
  /** A named family preset, or 'custom' for parameters that match none (see Model.preprocessing). */
  name: PresetName | 'custom';
  /** Resize so the shortest side equals this, then centre-crop (ImageNet style); null = plain resize to the crop size. */
  resizeShortestSide: number | null;
  height: number;
  width: number;
  channelOrder: 'RGB' | 'BGR';
  /** pixel (0..255) → ((pixel * inputScale) - mean[c]) / std[c] * scalingFactor, per channel in RGB order. */
  inputScale: number;
  mean: [number, number, number];
  std: [number, number, number];
  scalingFactor: number;
}

/** A named label set, or a trained classifier's own class names in the order of its output. */
export type LabelSet = 'imagenet-1000' | 'imagenet-1001' | 'voc-21' | 'none' | string[];

export type OperationState = 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';

export interface Workspace {
  name: string;
  backend: 'local';
  createdTime: string;
  description?: string;
}

export interface Model {
  /** `name:version` */
  id: string;
  name: string;
  version: number;
  framework: Framework;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  createdTime: string;
  /** sha256 of the model file blob in the store */
  blob: string;
  /** Original file name (for export and display). */
  fileName: string;
  sizeBytes: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  preset: PresetName;
  /**
   * Custom preprocessing (name 'custom') when no named preset fits, e.g. read from a converted TF graph's
   * image-decoding subgraph; `preset` is then 'none'. Resolve a model's preprocessing with presetOf().
   */
  preprocessing?: PreprocessingPreset;
  labels: LabelSet;
  /** Set on converted models: the id of the source model. */
  parentId?: string;
  /** Set on converted models. */
  conversion?: ConversionInfo;
}

export interface ConversionInfo {
  operationId: string;
  precision: 'fp32' | 'msfp9' | 'msfp8';
  inputTensor: string;
  outputTensors: string[];
  /** Compatibility report and accuracy delta are stored as a blob (JSON) to keep the state document small. */
  reportBlob?: string;
}

export interface Image {
  /** `name:version` */
  id: string;
  name: string;
  version: number;
  modelId: string;
  description?: string;
  tags: Record<string, string>;
  createdTime: string;
  state: 'Succeeded' | 'Failed';
  /** sha256 of the runtime manifest (content-addressed: same inputs → same digest). */
  digest: string;
  /** sha256 of the build log blob. */
  logBlob?: string;
  /** The last `accel image build`: the container image it made (the original SDK's image_location). */
  build?: ImageBuild;
}

export interface ImageBuild {
  state: 'Succeeded' | 'Failed';
  engine: 'podman' | 'docker';
  /** The image reference built (e.g. `localhost/accel-mobilenet:1`); set once the build succeeded. */
  location?: string;
  /** The engine's image id (sha256) of `location`. */
  engineImageId?: string;
  sizeBytes?: number;
  startedTime: string;
  finishedTime: string;
  /** sha256 of the engine's build log blob. */
  logBlob: string;
  /** Why the build failed. */
  error?: string;
}

export interface ServiceKeys {
  /** sha256 hex of each key: the emulator verifies against hashes and never needs the plaintext. */
  primaryHash: string;
  secondaryHash: string;
  /** AES-256-GCM ciphertext (base64) under the home's key file, so `keys` can print them. */
  primarySealed: string;
  secondarySealed: string;
}

export interface Service {
  name: string;
  imageId: string;
  target: 'local' | 'kubernetes' | 'container';
  computeName?: string;
  description?: string;
  tags: Record<string, string>;
  createdTime: string;
  updatedTime: string;
  port: number;
  restPort?: number;
  replicas: number;
  authEnabled: boolean;
  keys?: ServiceKeys;
  tls?: { certBlob: string; keyBlob: string; selfSigned: boolean };
  /** Set only on `target: 'kubernetes'` services: where they run and how they scale. */
  kubernetes?: KubernetesPlacement;
  /** Set only on `target: 'container'` services: the containers a local engine runs. */
  container?: ContainerPlacement;
}

export interface ContainerPlacement {
  engine: 'podman' | 'docker';
  /** The built image reference the containers run. */
  location: string;
  /** 'bridge': ports published with -p; 'host': the container shares the host's network and listens on `port`. */
  network: 'bridge' | 'host';
  /** One container per replica, each on its own host port (the first is the service's `port`). */
  containers: { name: string; port: number; healthPort: number }[];
}

export interface KubernetesPlacement {
  /** kubeconfig context name (for AKS clusters reached through ARM: the cluster name). */
  context: string;
  namespace: string;
  /** The container image reference the Deployment runs (e.g. `myacr.azurecr.io/mobilenet:1`). */
  imageRef: string;
  /** Absent = fixed `replicas`. */
  autoscale?: { min: number; max: number; targetUtilization: number };
  /** The kubeconfig file named at deploy time (absent = $KUBECONFIG or ~/.kube/config). */
  kubeconfig?: string;
  /** Set when the kubeconfig is fetched through ARM (listClusterUserCredential) rather than read from disk. */
  aks?: { subscriptionId: string; resourceGroup: string; name: string };
  /** Azure load balancer DNS label: the service answers at `<dnsLabel>.<region>.cloudapp.azure.com`. */
  dnsLabel?: string;
  /** Region of the cluster (gives the DNS label's domain). */
  region?: string;
  /** TLS server name clients verify when the certificate names a domain the address does not. */
  tlsServerName?: string;
  /** The store's Compute the pods are scheduled on (accelerator requests, node selector, tolerations). */
  compute?: string;
}

export interface Compute {
  name: string;
  kind: 'local-emulator' | 'aks';
  createdTime: string;
  properties: Record<string, string>;
  /** Set on `kind: 'aks'`: the cluster, provisioned by `accel compute create` or attached. */
  aks?: AksCompute;
}

/** An AKS cluster as the original service's AksCompute described it. Services name it in `computeName`. */
export interface AksCompute {
  /** 'created': provisioned by `compute create` (and deleted by `compute delete`); 'attached': made elsewhere. */
  origin: 'created' | 'attached';
  /** ARM id of the managed cluster; absent when attached through a kubeconfig context only. */
  resourceId?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  clusterName?: string;
  /** kubeconfig context (and file, absent = $KUBECONFIG or ~/.kube/config) of a cluster attached with --kube-context. */
  kubeContext?: string;
  kubeconfig?: string;
  vmSize?: string;
  agentCount?: number;
  location?: string;
  /** ARM provisioningState (Creating, Succeeded, Failed, Deleting, ...). */
  provisioningState: string;
  provisioningErrors?: string[];
  /** What the Deployment requests on its nodes; absent when the VM size has no accelerator. */
  accelerator?: { kind: 'FPGA' | 'GPU'; resourceName: string; count: number };
}

export interface Operation {
  id: string;
  kind: 'convert' | 'image' | 'deploy';
  state: OperationState;
  target: string;
  createdTime: string;
  finishedTime?: string;
  /** Process that runs it; a Running operation whose pid is gone is reported as Failed. */
  pid?: number;
  resultId?: string;
  error?: string;
  cancelRequested?: boolean;
}

/** Everything one workspace holds; persisted as one JSON document so that multi-entity changes are atomic. */
export interface WorkspaceState {
  schemaVersion: number;
  workspace: Workspace;
  models: Model[];
  images: Image[];
  services: Service[];
  computes: Compute[];
  operations: Operation[];
}
