// One entry for the Azure and Kubernetes code, loaded lazily by the CLI and the extension
// (`await import('../azure')`): the SDKs take a second to load and most commands never need them.
export * from './acr';
export * from './aks';
export * from './armContext';
export * from './azureErrors';
export * from './compute/acceleratorScheduling';
export * from './compute/aksCompute';
export * from './compute/computeQuota';
export * from './credential';
export * from './kubernetes/cluster';
export * from './kubernetes/manifests';
export * from './kubernetesServices';
export * from './quota';
export * from './subscriptions';
export * from './workspaces';
