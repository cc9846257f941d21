// The lint configuration's house rules refuse each wrong import and let the right ones through: ESLint itself runs
// the blocks of scripts/lint/houseRules.mjs (the ones eslint.config.mjs applies) on small sources placed in each room.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { repoRoot } from '../../support/paths';

async function restrictedImports(file: string, source: string): Promise<string[]> {
  const { houseRules } = (await import(path.join(repoRoot, 'scripts', 'lint', 'houseRules.mjs'))) as {
    houseRules: object[];
  };
  const eslint = new ESLint({
    cwd: repoRoot,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { '@typescript-eslint': tseslint.plugin },
      },
      ...houseRules,
    ] as never,
  });
  const [result] = await eslint.lintText(source, { filePath: path.join(repoRoot, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const refused = async (file: string, source: string, why: RegExp) => {
  const messages = await restrictedImports(file, source);
  assert.equal(messages.length, 1, `${file}: expected one refusal of \`${source}\`, got ${JSON.stringify(messages)}`);
  assert.match(messages[0], /no-restricted-imports/);
  assert.match(messages[0], why);
};
const allowed = async (file: string, source: string) =>
  assert.deepEqual(await restrictedImports(file, source), [], `${file}: \`${source}\` should pass`);

describe('lint: the rules of the house', () => {
  it('vscode only in src/vscode/ and src/extension.ts; type imports anywhere', async () => {
    await refused('src/core/models.ts', "import * as vscode from 'vscode';", /Only src\/vscode\//);
    await refused('src/scoring/serviceScorer.ts', "import { window } from 'vscode';", /Only src\/vscode\//);
    await refused('test/unit/core/x.test.ts', "import { Uri } from 'vscode';", /Only src\/vscode\//);
    await allowed('src/core/models.ts', "import type { Uri } from 'vscode';");
    await allowed('src/vscode/trees/x.ts', "import * as vscode from 'vscode';");
    await allowed('src/extension.ts', "import * as vscode from 'vscode';");
  });

  it('@azure/* and @kubernetes/* only in src/azure/', async () => {
    await refused(
      'src/core/services.ts',
      "import { DefaultAzureCredential } from '@azure/identity';",
      /belong in src\/azure\//,
    );
    await refused(
      'src/vscode/azure/x.ts',
      "import { KubeConfig } from '@kubernetes/client-node';",
      /belong in src\/azure\//,
    );
    await allowed('src/azure/aks.ts', "import { ContainerServiceClient } from '@azure/arm-containerservice';");
    await allowed('src/vscode/azure/x.ts', "import type { TokenCredential } from '@azure/core-auth';");
  });

  it('onnxruntime-node, sharp and the JPEG decoder never in the extension host', async () => {
    for (const pkg of ['onnxruntime-node', 'sharp', '@julusian/jpeg-turbo']) {
      await refused('src/vscode/panels/x.ts', `import * as m from '${pkg}';`, /never run in the extension host/);
      await allowed('src/emulator/x.ts', `import * as m from '${pkg}';`);
    }
  });

  it('client/ and emulator/ never import each other', async () => {
    await refused(
      'src/client/predictionClient.ts',
      "import { encodePredictRequest } from '../emulator/wireCodec';",
      /through src\/wire\//,
    );
    await refused(
      'src/emulator/host.ts',
      "import { PredictionClient } from '../client/predictionClient';",
      /never imports it/,
    );
    await allowed('src/client/predictionClient.ts', "import { encodePredictRequest } from '../wire/wireCodec';");
  });

  it('webview/ never imports src/vscode/', async () => {
    await refused(
      'webview/main.ts',
      "import type { PanelView } from '../src/vscode/panels/protocol';",
      /shares the panel protocol/,
    );
    await allowed('webview/main.ts', "import type { PanelView } from '../src/panels/protocol';");
  });

  it('src/vscode/ throws AccelError, never a plain Error', async () => {
    for (const source of ["throw new Error('no log yet');", "throw Error('no log yet');"]) {
      const messages = await restrictedImports('src/vscode/commands/x.ts', source);
      assert.equal(messages.length, 1, `one refusal of \`${source}\`: ${JSON.stringify(messages)}`);
      assert.match(messages[0], /^no-restricted-syntax: .*throws AccelError .*VS Code command or setting/);
    }
    await allowed(
      'src/vscode/commands/x.ts',
      "import { AccelError } from '../../domain/errors';\nthrow new AccelError('NotFound', 'Run \"Start Emulator\" first.');",
    );
    await allowed('src/core/x.ts', "throw new Error('a bug');");
  });

  it('the files still allowed a plain Error exist and still need the exception', async () => {
    const { PLAIN_ERROR_TO_FIX } = (await import(path.join(repoRoot, 'scripts', 'lint', 'houseRules.mjs'))) as {
      PLAIN_ERROR_TO_FIX: string[];
    };
    for (const file of PLAIN_ERROR_TO_FIX) {
      const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
      assert.match(text, /(^|[^\w.])(new )?Error\(/, `${file} no longer throws a plain Error: take it off the list`);
    }
  });
});
