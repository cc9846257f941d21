// The TF Serving protos, loaded once: as a proto-loader package (gRPC service definition, reflection) and as a
// protobufjs root (for messages we encode ourselves, e.g. the SignatureDefMap packed into GetModelMetadata).
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { protosRoot } from './protosRoot';

export const PREDICTION_SERVICE = 'tensorflow.serving.PredictionService';
export const SERVICE_PROTO = 'tensorflow_serving/apis/prediction_service.proto';

let packageDefinition: protoLoader.PackageDefinition | undefined;
let root: protobuf.Root | undefined;

export function servingPackage(): protoLoader.PackageDefinition {
  packageDefinition ??= protoLoader.loadSync([SERVICE_PROTO], {
    includeDirs: [protosRoot()],
    keepCase: true,
    longs: String,
    enums: Number,
    defaults: false,
    oneofs: true,
  });
  return packageDefinition;
}

export function servingRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) =>
      path.isAbsolute(target) || target.startsWith('google/') ? target : path.join(protosRoot(), target);
    r.loadSync(SERVICE_PROTO, { keepCase: true });
    root = r;
  }
  return root;
}
