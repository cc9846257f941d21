import type * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer) => b;
export const ECHO_METHOD: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/bench.Echo/Echo',
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
};
