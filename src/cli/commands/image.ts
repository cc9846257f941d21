// `accel image create|list|show|log|delete|export`
import type { Command } from 'commander';
import { createImage, deleteImage, exportImage, getImage, listImages, readImageLog, readImageManifest } from '../../core/images';
import { parseKeyValues } from '../../core/names';
import { action, collect, nounCommand } from '../context';
import { printJson, printLine, printTable } from '../output';

export function register(program: Command): void {
  const image = nounCommand(program, 'image', 'Package a model as an image (one model, its preprocessing and a runtime manifest)');

  image
    .command('create <name>')
    .description('Create the next version of image <name> from a converted or ONNX model')
    .requiredOption('--model <name:version>', 'the model to package (latest version when no version is given)')
    .option('--description <text>', 'description')
    .option('--tag <key=value>', 'tag (repeatable)', collect, [])
    .action(action(async (ctx, name: string, opts: { model: string; description?: string; tag: string[] }) => {
      const workspace = await ctx.workspace();
      const created = await createImage(ctx.store, workspace, name, opts.model, { description: opts.description, tags: parseKeyValues(opts.tag) });
      if (ctx.json) printJson(created);
      else printLine(`Created image ${created.id} from model ${created.modelId} (digest sha256:${created.digest}).\nNext: accel service deploy <name> --image ${created.id}`);
    }));

  image
    .command('list')
    .description('List images')
    .option('--name <name>', 'only this image name')
    .option('--model <name:version>', 'only images of this model')
    .option('--tag <key[=value]>', 'only images with this tag')
    .action(action(async (ctx, opts: { name?: string; model?: string; tag?: string }) => {
      const workspace = await ctx.workspace();
      const images = await listImages(ctx.store, workspace, { name: opts.name, modelId: opts.model, tag: opts.tag });
      if (ctx.json) printJson(images);
      else {
        printTable(images, [
          { header: 'IMAGE', value: (i) => i.id },
          { header: 'MODEL', value: (i) => i.modelId },
          { header: 'STATE', value: (i) => i.state },
          { header: 'DIGEST', value: (i) => i.digest.slice(0, 12) },
          { header: 'CREATED', value: (i) => i.createdTime },
        ], 'No images. Create one with `accel image create <name> --model <name:version>`.');
      }
    }));

  image
    .command('show <image>')
    .description('Show an image (<name> for the latest version, or <name:version>) and its runtime manifest')
    .action(action(async (ctx, ref: string) => {
      const workspace = await ctx.workspace();
      const found = await getImage(ctx.store, workspace, ref);
      const manifest = await readImageManifest(ctx.store, workspace, found);
      if (ctx.json) printJson({ ...found, manifest });
      else {
        printLine(`${found.id}  ${found.state}  model ${found.modelId}  digest sha256:${found.digest}`);
        if (found.description) printLine(found.description);
        printLine(`preset ${manifest.preset}, labels ${manifest.labels}`);
        printLine(`inputs:  ${manifest.inputs.map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`).join('; ')}`);
        printLine(`outputs: ${manifest.outputs.map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`).join('; ')}`);
        printLine(`runtime: emulator ${manifest.runtime.emulator}, onnxruntime-node ${manifest.runtime.onnxruntime}`);
      }
    }));

  image
    .command('log <image>')
    .description('Print the build log of an image')
    .action(action(async (ctx, ref: string) => {
      const workspace = await ctx.workspace();
      const text = await readImageLog(ctx.store, workspace, ref);
      if (ctx.json) printJson({ image: (await getImage(ctx.store, workspace, ref)).id, log: text });
      else process.stdout.write(text);
    }));

  image
    .command('delete <name:version>')
    .description('Delete an image version (refused while a service uses it)')
    .action(action(async (ctx, ref: string) => {
      const workspace = await ctx.workspace();
      const deleted = await deleteImage(ctx.store, workspace, ref);
      if (ctx.json) printJson(deleted);
      else printLine(`Deleted image ${deleted.id}.`);
    }));

  image
    .command('export <image> <dir>')
    .description('Write a self-contained Docker build context (Dockerfile, bundled emulator, model, manifest) to <dir>')
    .action(action(async (ctx, ref: string, dir: string) => {
      const workspace = await ctx.workspace();
      const result = await exportImage(ctx.store, workspace, ref, dir);
      if (ctx.json) printJson(result);
      else printLine(`Exported ${ref} to ${result.dir} (${result.files.length} files).\nBuild it with: docker build -t <tag> ${result.dir}\nSee ${result.dir}/README.md for keys, TLS and ports.`);
    }));
}
