// `accel image create|list|show|log|delete|export|build|edge-manifest`
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildImage, readBuildLog } from '../../container/imageBuild';
import { edgeManifest } from '../../container/edgeManifest';
import {
  createImage,
  deleteImage,
  findImage,
  getImage,
  listImages,
  readImageLog,
  readImageManifest,
} from '../../core/images';
import { exportImage } from '../../container/exportImage';
import { parseKeyValues } from '../../domain/names';
import { action, collect, nounCommand } from '../context';
import { printJson, printLine, printTable } from '../output';

export function register(program: Command): void {
  const image = nounCommand(
    program,
    'image',
    'Package a model as an image (one model, its preprocessing and a runtime manifest)',
  );

  image
    .command('create <name>')
    .description('Create the next version of image <name> from a converted or ONNX model')
    .requiredOption('--model <name:version>', 'the model to package (latest version when no version is given)')
    .option('--description <text>', 'description')
    .option('--tag <key=value>', 'tag (repeatable)', collect, [])
    .action(
      action(async (ctx, name: string, opts: { model: string; description?: string; tag: string[] }) => {
        const workspace = await ctx.workspace();
        const created = await createImage(ctx.store, workspace, name, opts.model, {
          description: opts.description,
          tags: parseKeyValues(opts.tag),
        });
        if (ctx.json) printJson(created);
        else
          printLine(
            `Created image ${created.id} from model ${created.modelId} (digest sha256:${created.digest}).\nNext: accel service deploy <name> --image ${created.id}`,
          );
      }),
    );

  image
    .command('list')
    .description('List images')
    .option('--name <name>', 'only this image name')
    .option('--model <name:version>', 'only images of this model')
    .option('--tag <key[=value]>', 'only images with this tag')
    .action(
      action(async (ctx, opts: { name?: string; model?: string; tag?: string }) => {
        const workspace = await ctx.workspace();
        const images = await listImages(ctx.store, workspace, { name: opts.name, modelId: opts.model, tag: opts.tag });
        if (ctx.json) printJson(images);
        else {
          printTable(
            images,
            [
              { header: 'IMAGE', value: (i) => i.id },
              { header: 'MODEL', value: (i) => i.modelId },
              { header: 'STATE', value: (i) => i.state },
              { header: 'DIGEST', value: (i) => i.digest.slice(0, 12) },
              {
                header: 'BUILT',
                value: (i) =>
                  i.build ? (i.build.state === 'Succeeded' ? (i.build.location ?? '') : 'build failed') : '',
              },
              { header: 'CREATED', value: (i) => i.createdTime },
            ],
            'No images. Create one with `accel image create <name> --model <name:version>`.',
          );
        }
      }),
    );

  image
    .command('show <image>')
    .description('Show an image (<name> for the latest version, or <name:version>) and its runtime manifest')
    .action(
      action(async (ctx, ref: string) => {
        const workspace = await ctx.workspace();
        const found = await getImage(ctx.store, workspace, ref);
        const manifest = await readImageManifest(ctx.store, workspace, found);
        if (ctx.json) printJson({ ...found, manifest });
        else {
          printLine(`${found.id}  ${found.state}  model ${found.modelId}  digest sha256:${found.digest}`);
          if (found.description) printLine(found.description);
          printLine(`preset ${manifest.preset}, labels ${manifest.labels}`);
          printLine(`inputs:  ${manifest.inputs.map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`).join('; ')}`);
          printLine(
            `outputs: ${manifest.outputs.map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`).join('; ')}`,
          );
          printLine(`runtime: emulator ${manifest.runtime.emulator}, onnxruntime-node ${manifest.runtime.onnxruntime}`);
          const b = found.build;
          if (b)
            printLine(
              b.state === 'Succeeded'
                ? `container image: ${b.location} (${b.engine}, ${((b.sizeBytes ?? 0) / 1e6).toFixed(1)} MB, built ${b.finishedTime})`
                : `container build: Failed at ${b.finishedTime}: ${b.error} (log: accel image log ${found.id} --build)`,
            );
          else printLine(`container image: not built (accel image build ${found.id})`);
        }
      }),
    );

  image
    .command('log <image>')
    .description('Print the build log of an image (--build: the log of its last container build)')
    .option('--build', "the container engine's log of the last `accel image build`")
    .action(
      action(async (ctx, ref: string, opts: { build?: boolean }) => {
        const workspace = await ctx.workspace();
        const text = opts.build
          ? await readBuildLog(ctx.store, workspace, ref)
          : await readImageLog(ctx.store, workspace, ref);
        if (ctx.json) printJson({ image: (await getImage(ctx.store, workspace, ref)).id, log: text });
        else process.stdout.write(text);
      }),
    );

  image
    .command('delete <name:version>')
    .description('Delete an image version (refused while a service uses it)')
    .action(
      action(async (ctx, ref: string) => {
        const workspace = await ctx.workspace();
        const deleted = await deleteImage(ctx.store, workspace, ref);
        if (ctx.json) printJson(deleted);
        else printLine(`Deleted image ${deleted.id}.`);
      }),
    );

  image
    .command('export <image> <dir>')
    .description('Write a self-contained Docker build context (Dockerfile, bundled emulator, model, manifest) to <dir>')
    .action(
      action(async (ctx, ref: string, dir: string) => {
        const workspace = await ctx.workspace();
        const result = await exportImage(ctx.store, workspace, ref, dir);
        if (ctx.json) printJson(result);
        else
          printLine(
            `Exported ${ref} to ${result.dir} (${result.files.length} files).\nBuild it with: docker build --network none -t <tag> ${result.dir}  (or: accel image build ${ref})\nSee ${result.dir}/README.md for keys, TLS and ports.`,
          );
      }),
    );

  image
    .command('build <image>')
    .description(
      'Build the image with the local container engine (podman or docker) and record its reference; the build steps run with no network (the base image is pulled once if the engine lacks it)',
    )
    .option('--tag <reference>', 'image reference to build (default localhost/accel-<name>:<version>)')
    .option('--engine <engine>', 'podman or docker (default: ACCEL_CONTAINER_ENGINE, else the first installed)')
    .option('--base-image <reference>', 'base image with Node 22 (default node:22-bookworm-slim)')
    .action(
      action(async (ctx, ref: string, opts: { tag?: string; engine?: string; baseImage?: string }) => {
        const workspace = await ctx.workspace();
        const { image: built, durationMs } = await buildImage(ctx.store, workspace, ref, {
          tag: opts.tag,
          engine: opts.engine,
          baseImage: opts.baseImage,
          onLine: ctx.json ? undefined : (line) => process.stderr.write(`${line}\n`),
        });
        const b = built.build!;
        if (ctx.json) printJson({ ...built, durationMs });
        else
          printLine(
            `Built ${built.id} as ${b.location} with ${b.engine} (${((b.sizeBytes ?? 0) / 1e6).toFixed(1)} MB) in ${(durationMs / 1000).toFixed(1)} s.\nRun it: accel service deploy <name> --image ${built.id} --target container`,
          );
      }),
    );

  image
    .command('edge-manifest <image>')
    .description('Write an Azure IoT Edge deployment manifest that runs the image as a module on port 50051')
    .requiredOption(
      '--registry <host>',
      'registry the device pulls from (e.g. myacr.azurecr.io); push <registry>/accel-<name>:<version> there first',
    )
    .option('--device <id>', 'IoT Edge device id (for the printed az command)')
    .option('--module <name>', 'module name (default: the image name)')
    .option('--registry-username <user>', 'registry user for the device (password from ACCEL_REGISTRY_PASSWORD)')
    .option('-o, --output <file>', 'write the manifest here (default: stdout)')
    .action(
      action(
        async (
          ctx,
          ref: string,
          opts: { registry: string; device?: string; module?: string; registryUsername?: string; output?: string },
        ) => {
          const workspace = await ctx.workspace();
          const image = findImage(await ctx.store.read(workspace), ref);
          const result = edgeManifest(image, {
            registry: opts.registry,
            moduleName: opts.module,
            registryUsername: opts.registryUsername,
            registryPassword: process.env.ACCEL_REGISTRY_PASSWORD,
          });
          const text = JSON.stringify(result.manifest, null, 2) + '\n';
          const device = opts.device ?? '<device-id>';
          const apply = `az iot edge set-modules --hub-name <iot-hub> --device-id ${device} --content ${opts.output ?? 'deployment.json'}`;
          if (opts.output) {
            const file = path.resolve(opts.output);
            fs.writeFileSync(file, text, { mode: 0o600 }); // it holds the module's keys
            fs.chmodSync(file, 0o600);
          }
          if (ctx.json)
            printJson({
              file: opts.output ? path.resolve(opts.output) : undefined,
              module: result.moduleName,
              image: result.imageReference,
              keys: result.keys,
              apply,
              manifest: opts.output ? undefined : result.manifest,
            });
          else {
            if (!opts.output) process.stdout.write(text);
            const say = opts.output ? printLine : (line: string) => process.stderr.write(`${line}\n`);
            say(
              `${opts.output ? `Wrote ${path.resolve(opts.output)}: ` : ''}module ${result.moduleName} runs ${result.imageReference} on port 50051.`,
            );
            say(
              `Push the image first, e.g. podman tag ${image.build?.location ?? `localhost/accel-${image.name}:${image.version}`} ${result.imageReference} && podman push ${result.imageReference}`,
            );
            say(`Apply: ${apply}`);
            say(
              `The module's keys (also in the manifest, keep it private): primary ${result.keys.primaryKey}  secondary ${result.keys.secondaryKey}`,
            );
          }
        },
      ),
    );
}
