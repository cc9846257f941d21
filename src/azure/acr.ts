// Builds an exported image's Docker build context in Azure Container Registry with ACR Tasks, so no local
// Docker is needed: upload the context as a tar.gz to the registry's build-source blob, schedule a
// DockerBuildRequest that pushes `<loginServer>/<repository>:<tag>`, follow the run to the end.
import * as https from 'node:https';
import { ContainerRegistryManagementClient, type DockerBuildRequest } from '@azure/arm-containerregistry';
import { AccelError } from '../domain/errors';
import { silentProgress, type ProgressReporter } from '../domain/ports';
import { clientOptions, parseResourceId, pollOptions, type ArmContext } from './armContext';
import { azureCall, collect } from './azureErrors';
import { tarGzDirectory } from './tarball';

export interface RegistryRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  loginServer: string;
}

export interface AcrBuildRequest {
  registry: RegistryRef;
  /** Folder holding the Dockerfile (an exported image). */
  contextDir: string;
  repository: string;
  tag: string;
}

export interface AcrBuildResult {
  image: string;
  runId: string;
  log: string;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'Canceled', 'Error', 'Timeout']);

function acrClient(ctx: ArmContext, subscriptionId: string) {
  return new ContainerRegistryManagementClient(ctx.credential, subscriptionId, clientOptions(ctx));
}

/** Finds a registry by name (or login server) in the subscription. */
export async function findRegistry(
  ctx: ArmContext,
  subscriptionId: string,
  nameOrServer: string,
): Promise<RegistryRef> {
  const wanted = nameOrServer.toLowerCase().replace(/\.azurecr\.io$/, '');
  const all = await azureCall('list your container registries', () =>
    collect(acrClient(ctx, subscriptionId).registries.list()),
  );
  const hit = all.find((r) => (r.name ?? '').toLowerCase() === wanted);
  if (!hit?.id) {
    throw new AccelError(
      'NotFound',
      `No container registry "${nameOrServer}" in subscription ${subscriptionId}${all.length ? ` (registries: ${all.map((r) => r.name).join(', ')})` : ''}. Create one (\`az acr create --name <name> --resource-group <rg> --sku Basic\`) or pass an already pushed image with --image-ref.`,
    );
  }
  const { resourceGroup } = parseResourceId(hit.id);
  return {
    subscriptionId,
    resourceGroup,
    name: hit.name ?? wanted,
    loginServer: hit.loginServer ?? `${wanted}.azurecr.io`,
  };
}

function httpsRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  caPem?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        ...(caPem ? { ca: caPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function buildInAcr(
  ctx: ArmContext,
  request: AcrBuildRequest,
  progress: ProgressReporter = silentProgress,
): Promise<AcrBuildResult> {
  const { registry } = request;
  const client = acrClient(ctx, registry.subscriptionId);
  const image = `${registry.loginServer}/${request.repository}:${request.tag}`;

  progress.report({ message: `Uploading the build context to ${registry.name}` });
  const archive = tarGzDirectory(request.contextDir);
  const upload = await azureCall(`get an upload URL from registry ${registry.name}`, () =>
    client.registries.getBuildSourceUploadUrl(registry.resourceGroup, registry.name),
  );
  if (!upload.uploadUrl || !upload.relativePath)
    throw new AccelError('Internal', `Registry ${registry.name} returned no upload URL. Retry in a minute.`);
  let put: { status: number; text: string };
  try {
    put = await httpsRequest(
      upload.uploadUrl,
      'PUT',
      { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/octet-stream' },
      archive,
      ctx.caPem,
    );
  } catch (e) {
    throw new AccelError(
      'Unavailable',
      `Could not upload the build context to ${registry.name}'s storage (${(e as Error).message}). Check your network or proxy and retry.`,
    );
  }
  if (put.status < 200 || put.status >= 300) {
    throw new AccelError(
      put.status === 403 ? 'PermissionDenied' : 'Internal',
      `Uploading the build context to ${registry.name} failed (HTTP ${put.status}). The upload URL may have expired; retry.`,
    );
  }

  progress.report({ message: `Building ${image} with ACR Tasks` });
  const buildRequest: DockerBuildRequest = {
    type: 'DockerBuildRequest',
    imageNames: [`${request.repository}:${request.tag}`],
    isPushEnabled: true,
    noCache: false,
    dockerFilePath: 'Dockerfile',
    sourceLocation: upload.relativePath,
    platform: { os: 'Linux', architecture: 'amd64' },
  };
  const scheduled = await azureCall(`start an ACR Tasks build in ${registry.name}`, () =>
    client.registries.beginScheduleRunAndWait(registry.resourceGroup, registry.name, buildRequest, pollOptions(ctx)),
  );
  const runId = scheduled.runId;
  if (!runId)
    throw new AccelError(
      'Internal',
      `Registry ${registry.name} accepted the build but returned no run id. Check the runs with \`az acr task list-runs --registry ${registry.name}\`.`,
    );

  let run = scheduled;
  while (!TERMINAL.has(run.status ?? '')) {
    await sleep(ctx.pollIntervalMs ?? 3000);
    run = await azureCall(`follow build run ${runId}`, () =>
      client.runs.get(registry.resourceGroup, registry.name, runId),
    );
    progress.report({ message: `Build ${runId}: ${run.status}` });
  }

  const log = await readRunLog(ctx, client, registry, runId);
  if (run.status !== 'Succeeded') {
    const tail = log.split('\n').slice(-15).join('\n');
    if (
      /denied|unauthorized|insufficient_scope|not authorized/i.test(log) ||
      /denied|unauthorized/i.test(run.runErrorMessage ?? '')
    ) {
      throw new AccelError(
        'PermissionDenied',
        `ACR build ${runId} could not push ${image}: push denied. Give your account (or the registry's task identity) the AcrPush role on ${registry.name} (\`az role assignment create --role AcrPush --assignee <you> --scope <registry id>\`), check the registry is not locked or over its storage quota, then retry.\n${tail}`,
        { runId },
      );
    }
    throw new AccelError(
      'Internal',
      `ACR build ${runId} ended ${run.status}${run.runErrorMessage ? `: ${run.runErrorMessage}` : ''}. Log tail:\n${tail}\nFix the build error and retry; the full log: \`az acr task logs --registry ${registry.name} --run-id ${runId}\`.`,
      { runId },
    );
  }
  return { image, runId, log };
}

async function readRunLog(
  ctx: ArmContext,
  client: ContainerRegistryManagementClient,
  registry: RegistryRef,
  runId: string,
): Promise<string> {
  try {
    const link = await client.runs.getLogSasUrl(registry.resourceGroup, registry.name, runId);
    if (!link.logLink) return '';
    const res = await httpsRequest(link.logLink, 'GET', {}, undefined, ctx.caPem);
    return res.status === 200 ? res.text : '';
  } catch {
    return ''; // The log is a courtesy; the run status decides.
  }
}
