// Names users give to entities. Each rule says what is allowed in the error, so the user can fix the name at once.
// Workspace names become directory names; model, image and service names appear in ids (`name:version`),
// routes (`/api/v1/service/<name>`) and converted model names (`<name>.<version>.accelonnx`).
import { AccelError } from './errors';

interface NameRule {
  pattern: RegExp;
  allowed: string;
  example: string;
}

const RULES = {
  workspace: {
    pattern: /^[a-z0-9][a-z0-9_-]{0,63}$/,
    allowed: '1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit',
    example: 'my-workspace',
  },
  model: {
    pattern: /^[a-z0-9][a-z0-9._-]{0,127}$/,
    allowed: '1-128 lowercase letters, digits, ".", "-" or "_", starting with a letter or digit',
    example: 'mobilenet',
  },
  image: {
    pattern: /^[a-z0-9][a-z0-9._-]{0,62}$/,
    allowed: '1-63 lowercase letters, digits, ".", "-" or "_", starting with a letter or digit',
    example: 'mobilenet-image',
  },
  service: {
    pattern: /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/,
    allowed: '3-32 lowercase letters, digits or "-", starting with a letter and ending with a letter or digit',
    example: 'mobilenet-svc',
  },
  compute: {
    pattern: /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/,
    allowed: '3-32 lowercase letters, digits or "-", starting with a letter and ending with a letter or digit',
    example: 'local-fpga',
  },
  tag: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    allowed: '1-64 letters, digits, ".", "-" or "_", starting with a letter or digit',
    example: 'stage',
  },
} satisfies Record<string, NameRule>;

export type NameKind = keyof typeof RULES;

export function isValidName(kind: NameKind, name: string): boolean {
  return RULES[kind].pattern.test(name);
}

export function validateName(kind: NameKind, name: string): string {
  if (typeof name !== 'string' || !isValidName(kind, name)) {
    const rule = RULES[kind];
    const what = kind === 'tag' ? 'tag key' : `${kind} name`;
    const shown = typeof name === 'string' ? JSON.stringify(name) : String(name);
    throw new AccelError(
      'InvalidArgument',
      `${shown} is not a valid ${what}. Use ${rule.allowed} (e.g. "${rule.example}").`,
    );
  }
  return name;
}

const MAX_VALUE = 256;

/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** Tag and property values: any text up to 256 characters without control characters. */
export function validateValue(key: string, value: string): string {
  if (value.length > MAX_VALUE || hasControlCharacter(value)) {
    throw new AccelError(
      'InvalidArgument',
      `The value of "${key}" is not valid. Use up to ${MAX_VALUE} characters without line breaks or control characters.`,
    );
  }
  return value;
}

/** `k=v` pairs (as the CLI's --tag and --property take them) → a record, validated. `k` alone gives ''. */
export function parseKeyValues(pairs: string[] | undefined, what = 'tag'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    if (!isValidName('tag', key)) {
      throw new AccelError(
        'InvalidArgument',
        `${JSON.stringify(pair)} is not a valid ${what}. Write key=value where the key has ${RULES.tag.allowed} (e.g. "stage=prod").`,
      );
    }
    out[key] = validateValue(key, value);
  }
  return out;
}

/** `name` or `name:version` → parts. A version must be a positive integer. */
export function parseVersionedRef(ref: string, kind: 'model' | 'image'): { name: string; version?: number } {
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(ref.trim());
  if (!m || (m[2] !== undefined && Number(m[2]) < 1)) {
    throw new AccelError(
      'InvalidArgument',
      `"${ref}" is not a valid ${kind} reference. Write <name> for the latest version or <name>:<version> (e.g. "mobilenet:2").`,
    );
  }
  return { name: m[1], version: m[2] === undefined ? undefined : Number(m[2]) };
}

const MAX_FILE_NAME = 255;

/** JSON-quoted with every control character escaped (JSON leaves C1 and U+2028/2029 as they are). */
function quoted(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * A model's file name as registered: it is shown in logs, READMEs and build logs, so it may not carry
 * line breaks, control characters, quotes, backslashes or `$` (which would let a name write its own lines or
 * arguments into a generated file), nor be longer than a file name can be.
 */
export function validateFileName(fileName: string): string {
  const bad = hasControlCharacter(fileName) ? 'a line break or control character' : /["'`\\$]/.exec(fileName)?.[0];
  if (bad || fileName.length === 0 || fileName.length > MAX_FILE_NAME) {
    const why = bad
      ? bad.length === 1
        ? `the character ${JSON.stringify(bad)}`
        : bad
      : `${fileName.length} characters (1-${MAX_FILE_NAME} allowed)`;
    throw new AccelError(
      'InvalidArgument',
      `The model file name ${quoted(fileName)} has ${why}. Rename the file to letters, digits, ".", "-", "_" or spaces (e.g. "model.onnx") and register it again.`,
    );
  }
  return fileName;
}
