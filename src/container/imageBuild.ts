// `accel image build`: exports the image's build context to a temp folder, builds it with the local container
// engine (no network: the context holds everything), streams the engine's log, stores it with the image and
// records the built reference (image_location). A failed build is recorded as Failed with its reason and log.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import { findImage } from '../core/images';
import { exportImage } from './exportImage';
import type { WorkspaceStore } from '../domain/ports';
import type { Image, ImageBuild } from '../domain/types';
import { LABEL_PREFIX } from './buildContext';
import { findEngine, inspectImage, runEngine, type Engine } from './engine';

export interface BuildImageOptions {
  /** Image reference to tag (default `localhost/accel-<name>:<version>`). */
  tag?: string;
  engine?: string;
  /** `--build-arg BASE_IMAGE=...` (default: the Dockerfile's node:22-bookworm-slim). */
  baseImage?: string;
  /** Every line of the engine's output, as it comes. */
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

// A reference as engines accept it: [registry[:port]/]path[:tag]; never starting with "-" (it goes into argv).
const REFERENCE =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

export function validateReference(reference: string, flag: string): string {
  if (reference.length > 255 || !REFERENCE.test(reference)) {
    throw new AccelError(
      'InvalidArgument',
      `${flag} ${JSON.stringify(reference)} is not a valid image reference. Write [registry/]name[:tag] in lowercase, e.g. localhost/mobilenet:1 or myacr.azurecr.io/mobilenet:1.`,
    );
  }
  return reference;
}

export function defaultReference(image: Image): string {
  return `localhost/accel-${image.name}:${image.version}`;
}

const MAX_LOG_LINES = 20_000;

/** Builds the image and records the result on it; throws (after recording Failed) when the build fails. */
export async function buildImage(
  store: WorkspaceStore,
  workspace: string,
  ref: string,
  options: BuildImageOptions = {},
): Promise<{ image: Image; durationMs: number }> {
  const image = findImage(await store.read(workspace), ref);
  if (image.state !== 'Succeeded')
    throw new AccelError(
      'InvalidArgument',
      `Image ${image.id} is ${image.state}; only a Succeeded image can be built. Create it again with \`accel image create\`.`,
    );
  const tag = validateReference(options.tag ?? defaultReference(image), '--tag');
  if (options.baseImage !== undefined) validateReference(options.baseImage, '--base-image');
  const engine = findEngine(options.engine); // a missing engine fails here, before anything is written

  const startedTime = new Date().toISOString();
  const started = Date.now();
  const log: string[] = [];
  const note = (line: string) => {
    if (log.length >= MAX_LOG_LINES) log.splice(0, log.length - MAX_LOG_LINES + 1);
    log.push(line);
    options.onLine?.(line);
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-build-'));
  let failure: string | undefined;
  let built: { id: string; size: number } | undefined;
  try {
    note(`${startedTime} building ${image.id} (digest sha256:${image.digest}) as ${tag} with ${engine.name}`);
    const context = path.join(tmp, 'context');
    await exportImage(store, workspace, image.id, context);
    const args = buildArgs(engine, tag, context, options.baseImage);
    note(`$ ${engine.command} ${args.join(' ')}`);
    const result = await runEngine(engine, args, { onLine: note, timeoutMs: options.timeoutMs ?? 30 * 60_000 });
    if (result.code !== 0) {
      failure = `${engine.name} build exited ${result.code}: ${lastMeaningful(log)}`;
    } else {
      const inspected = await inspectImage(engine, tag);
      if (!inspected) failure = `${engine.name} reported success but has no image ${tag}`;
      else if (inspected.labels[`${LABEL_PREFIX}.image.digest`] !== `sha256:${image.digest}`)
        failure = `${tag} does not carry this image's digest label (another build replaced it)`;
      else built = inspected;
    }
  } catch (e) {
    failure = (e as Error).message;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const durationMs = Date.now() - started;
  const finishedTime = new Date().toISOString();
  note(
    `${finishedTime} ${failure ? `FAILED: ${failure}` : `built ${tag} (${built!.id.slice(0, 12)}, ${(built!.size / 1e6).toFixed(1)} MB) in ${(durationMs / 1000).toFixed(1)} s`}`,
  );

  // One commit: the log blob is stored under the workspace lock with the record that names it.
  let previousLog: string | undefined;
  const recorded = await store.update(workspace, async (state) => {
    const current = state.images.find((i) => i.id === image.id);
    if (!current)
      throw new AccelError(
        'NotFound',
        `Image ${image.id} was deleted while it was being built. Create it again and rebuild.`,
      );
    const { sha256: logBlob } = await store.putBlob(workspace, { bytes: Buffer.from(log.join('\n') + '\n', 'utf8') });
    previousLog = current.build?.logBlob;
    const build: ImageBuild = failure
      ? { state: 'Failed', engine: engine.name, startedTime, finishedTime, logBlob, error: failure }
      : {
          state: 'Succeeded',
          engine: engine.name,
          location: tag,
          engineImageId: built!.id,
          sizeBytes: built!.size,
          startedTime,
          finishedTime,
          logBlob,
        };
    current.build = build;
    return { ...current };
  });
  if (previousLog && previousLog !== recorded.build?.logBlob) await store.releaseBlobs?.(workspace, [previousLog]);
  if (failure) {
    throw new AccelError(
      'Unavailable',
      `Building ${image.id} failed: ${failure}. The build log is kept: \`accel image log ${image.id} --build\`.`,
    );
  }
  return { image: recorded, durationMs };
}

function buildArgs(engine: Engine, tag: string, context: string, baseImage: string | undefined): string[] {
  return [
    'build',
    // The context holds every run-time package: nothing to download, so no network for the build's steps.
    '--network',
    'none',
    // podman writes OCI images by default, which have no HEALTHCHECK; the docker format keeps it.
    ...(engine.name === 'podman' ? ['--format', 'docker'] : []),
    ...(baseImage ? ['--build-arg', `BASE_IMAGE=${baseImage}`] : []),
    '--tag',
    tag,
    '--file',
    path.join(context, 'Dockerfile'),
    context,
  ];
}

function lastMeaningful(log: string[]): string {
  const lines = log.filter((l) => l.trim() && !l.startsWith('$ ')).slice(-3);
  return lines.join(' | ').slice(0, 600) || 'no output';
}

export async function readBuildLog(store: WorkspaceStore, workspace: string, ref: string): Promise<string> {
  const image = findImage(await store.read(workspace), ref);
  if (!image.build) return `(image ${image.id} has not been built: \`accel image build ${image.id}\`)\n`;
  return fs.readFileSync(store.blobPath(workspace, image.build.logBlob), 'utf8');
}
