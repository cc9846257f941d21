// Validates objects against the Kubernetes OpenAPI subset in test/fixtures/kubernetes (ajv).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { repoRoot } from '../../../support/paths';

const doc = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'kubernetes', 'openapi-subset.json'), 'utf8'),
);
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('int32', {
  type: 'number',
  validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
});
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('byte', {
  type: 'string',
  validate: (s: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
});
ajv.addSchema(doc);

const KIND_DEFINITION: Record<string, string> = {
  'apps/v1/Deployment': 'io.k8s.api.apps.v1.Deployment',
  'v1/Service': 'io.k8s.api.core.v1.Service',
  'v1/Secret': 'io.k8s.api.core.v1.Secret',
  'autoscaling/v2/HorizontalPodAutoscaler': 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
};

/** Returns the schema errors (empty when valid). */
export function kubernetesSchemaErrors(obj: { apiVersion: string; kind: string }): string[] {
  const def = KIND_DEFINITION[`${obj.apiVersion}/${obj.kind}`];
  if (!def) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  const validate = ajv.getSchema(`${doc.$id}#/definitions/${def}`)!;
  return validate(obj)
    ? []
    : (validate.errors ?? []).map(
        (e) =>
          `${obj.kind} ${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`,
      );
}
