// The extension manifest installs like a real extension: licence and changelog present, repository links,
// workspace-trust and virtual-workspace capabilities, every menu entry of a trust-requiring command gated by
// `isWorkspaceTrusted`, state-dependent entries gated by their context keys, README images left for vsce to rewrite.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { TRUST_REQUIRED } from '../../../src/vscode/commands/trust';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
type MenuEntry = { command: string; when?: string };
const menuEntries = (): Array<[string, MenuEntry]> =>
  Object.entries(pkg.contributes.menus as Record<string, MenuEntry[]>).flatMap(([menu, entries]) =>
    entries.map((e) => [menu, e] as [string, MenuEntry]),
  );

describe('extension manifest', () => {
  it('declares its licence, changelog, repository, bugs, homepage, keywords and categories', () => {
    assert.equal(pkg.license, 'MIT');
    assert.match(
      fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'),
      /^MIT License\n\nCopyright \(c\) 2026 Accelerated Models contributors\n/,
    );
    assert.match(
      fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'),
      /^# Changelog\n[\s\S]*## \[Unreleased\][\s\S]*## \[0\.1\.0\] - 2026-11-22/,
    );
    assert.match(pkg.repository.url, /^https:\/\/github\.com\/.+\.git$/);
    assert.match(pkg.bugs.url, /\/issues$/);
    assert.ok(pkg.homepage && pkg.keywords.length >= 5 && pkg.keywords.length <= 30);
    assert.ok(pkg.categories.includes('Machine Learning'));
    assert.doesNotMatch(pkg.scripts.package, /--skip-license|--allow-missing-repository/);
  });

  it('supports Restricted Mode in part and says what needs trust; virtual workspaces declared', () => {
    const trust = pkg.capabilities.untrustedWorkspaces;
    assert.equal(trust.supported, 'limited');
    assert.match(trust.description, /Registering or converting model files/);
    const settings = Object.keys(pkg.contributes.configuration.properties);
    for (const s of trust.restrictedConfigurations) assert.ok(settings.includes(s), `${s} is a declared setting`);
    assert.equal(typeof pkg.capabilities.virtualWorkspaces.supported, 'boolean');
    assert.ok(pkg.capabilities.virtualWorkspaces.description);
  });

  it('every menu and palette entry of a command that needs trust is gated by isWorkspaceTrusted', () => {
    for (const id of TRUST_REQUIRED) {
      const entries = menuEntries().filter(([, e]) => e.command === id);
      assert.ok(
        entries.some(([menu]) => menu === 'commandPalette'),
        `${id} has a commandPalette entry`,
      );
      for (const [menu, e] of entries) assert.match(e.when ?? '', /(^|&& )isWorkspaceTrusted\b/, `${id} in ${menu}`);
    }
    // And no other command is hidden by trust (the rest works in Restricted Mode).
    for (const [menu, e] of menuEntries()) {
      if (/isWorkspaceTrusted/.test(e.when ?? '')) assert.ok(TRUST_REQUIRED.has(e.command), `${e.command} in ${menu}`);
    }
  });

  it('state-dependent commands show only where they apply', () => {
    const when = (menu: string, id: string) =>
      menuEntries()
        .filter(([m, e]) => m === menu && e.command === id)
        .map(([, e]) => e.when ?? '');
    assert.deepEqual(when('commandPalette', 'accel.emulator.start'), ['accel.emulatorState != running']);
    assert.deepEqual(when('commandPalette', 'accel.emulator.stop'), ['accel.emulatorState == running']);
    assert.deepEqual(when('commandPalette', 'accel.azure.signIn'), ['!accel.azure.signedIn']);
    assert.deepEqual(when('commandPalette', 'accel.azure.signOut'), ['accel.azure.signedIn']);
    for (const w of when('explorer/context', 'accel.score.folder')) assert.match(w, /accel\.hasService/);
    assert.ok(pkg.activationEvents.includes('onStartupFinished'), 'context keys are set before the first right-click');
  });

  it('README images are relative paths in the repository that vsce rewrites to repository URLs (docs/decisions/0007)', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.ok(images.length > 0);
    for (const img of images) {
      if (/^https:/.test(img)) continue;
      assert.doesNotMatch(img, /^(\.\.\/|\/|data:|file:)/, `${img} must be a path inside the repository`);
      assert.ok(fs.existsSync(path.join(root, img)), `${img} exists`);
    }
    // VS Code shows only http(s) images on an installed extension's page: the package must let vsce rewrite them.
    assert.doesNotMatch(pkg.scripts.package, /--no-rewrite-relative-links/);
    assert.match(pkg.repository.url, /^https:\/\/github\.com\//);
    const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes('!CHANGELOG.md') && ignore.includes('!LICENSE'));
    assert.ok(
      !ignore.some((l) => /^!media\/(\*\*|screenshots|samples)/.test(l)),
      'screenshots and sample photos stay out of the .vsix',
    );
  });
});
