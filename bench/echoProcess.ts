// Transport floor: a grpc-js server in its own process (like the endpoint) answering every call with a reply the
// size of a 1000-float PredictResponse, no protobuf and no model, bound with the endpoint's HTTP/2 receive window
// and started with its Node flags (by run.ts). Prints {"port": N}; exits when stdin closes.
import * as grpc from '@grpc/grpc-js';
import { bindWithReceiveWindow } from '../src/emulator/frontend/receiveWindow';
import { ECHO_METHOD } from './echoMethod';

const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
const reply = Buffer.alloc(4040, 7);
server.addService({ Echo: ECHO_METHOD } as grpc.ServiceDefinition, {
  Echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, reply),
});
void bindWithReceiveWindow(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure()).then((port) =>
  process.stdout.write(`${JSON.stringify({ port })}\n`),
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
