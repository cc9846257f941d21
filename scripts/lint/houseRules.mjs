// The rules of the house (docs/architecture.md) as ESLint `no-restricted-imports` settings, one block per room, and
// the VS Code layer's no-plain-Error rule.
// ESLint applies the last block that sets a rule for a file, so each room's block lists every restriction that
// holds in it. eslint.config.mjs uses these blocks; test/unit/lint/houseRules.test.ts proves each refuses a wrong
// import.

const vscode = {
  name: 'vscode',
  allowTypeImports: true,
  message:
    'Only src/vscode/ and src/extension.ts import vscode (type imports are fine): take plain arguments and ports instead.',
};
const cloudSdks = {
  regex: '^@(azure|kubernetes)/',
  allowTypeImports: true,
  message: '@azure/* and @kubernetes/* belong in src/azure/ (its own lazily loaded bundle): go through src/azure.',
};
const nativeRuntimes = {
  regex: '^(onnxruntime-node|sharp|@julusian/jpeg-turbo)$',
  allowTypeImports: true,
  message:
    'Inference and image decoding never run in the extension host: use the emulator host or a CLI child process.',
};
const room = (name, message) => ({ regex: `(^|/)${name}(/|$)`, message });

const block = (files, restrictions, ignores = []) => ({
  files,
  ignores,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', restrictions] },
});

/**
 * Files of src/vscode/ that still throw a plain Error, to be moved to AccelError by their owners; the list only
 * shrinks (test/unit/lint/houseRules.test.ts checks that every file on it exists and still needs it).
 */
export const PLAIN_ERROR_TO_FIX = ['src/vscode/serviceLiveStates.ts'];

const plainErrorMessage =
  'src/vscode/ throws AccelError (src/domain/errors.ts): a code, and a message naming the VS Code command or setting that fixes it, not a CLI flag.';

/** No plain Error in the extension's VS Code layer (a separate rule, so it adds to the import blocks). */
export const accelErrorsOnly = {
  files: ['src/vscode/**/*.ts'],
  ignores: PLAIN_ERROR_TO_FIX,
  rules: {
    'no-restricted-syntax': [
      'error',
      { selector: "NewExpression[callee.type='Identifier'][callee.name='Error']", message: plainErrorMessage },
      { selector: "CallExpression[callee.type='Identifier'][callee.name='Error']", message: plainErrorMessage },
    ],
  },
};

/** The flat-config blocks, most general first. */
export const houseRules = [
  block(['src/**/*.ts'], { paths: [vscode], patterns: [cloudSdks] }, [
    'src/vscode/**',
    'src/extension.ts',
    'src/azure/**',
  ]),
  block(['src/azure/**/*.ts'], { paths: [vscode], patterns: [] }),
  block(['bench/**/*.ts', 'test/unit/**/*.ts', 'test/integration/**/*.ts', 'test/support/**/*.ts'], {
    paths: [vscode],
    patterns: [],
  }),
  block(['src/vscode/**/*.ts', 'src/extension.ts'], { paths: [], patterns: [cloudSdks, nativeRuntimes] }),
  block(['src/client/**/*.ts'], {
    paths: [vscode],
    patterns: [cloudSdks, room('emulator', 'client/ speaks the wire through src/wire/, never through the emulator.')],
  }),
  block(['src/emulator/**/*.ts'], {
    paths: [vscode],
    patterns: [cloudSdks, room('client', 'emulator/ shares src/wire/ with client/ and never imports it.')],
  }),
  block(['src/services/**/*.ts'], {
    paths: [vscode],
    patterns: [
      cloudSdks,
      room('cli', 'src/services sits below both faces: the CLI calls it, never the other way round.'),
      room('vscode', 'src/services sits below both faces: the extension calls it, never the other way round.'),
    ],
  }),
  block(['webview/**/*.ts'], {
    paths: [vscode],
    patterns: [room('vscode', 'webview/ shares the panel protocol with src/vscode/ and never imports it.')],
  }),
  accelErrorsOnly,
];
