// Walkthrough pictures and tree menu entries of the manifest: every walkthrough step shows an SVG of ours from
// media/walkthrough/ (packaged, theme colours, no external references) with alt text; Delete with Dependents and
// Compare Precisions appear on the tree items they apply to.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('walkthrough media and tree menus', () => {
  it('every walkthrough step has a theme-aware SVG of ours with alt text', () => {
    const steps = pkg.contributes.walkthroughs.flatMap((w: { steps: unknown[] }) => w.steps) as Array<{
      id: string;
      media: { svg?: string; altText?: string };
    }>;
    assert.ok(steps.length >= 5);
    for (const step of steps) {
      const { svg, altText } = step.media;
      assert.match(svg ?? '', /^media\/walkthrough\/[a-z-]+\.svg$/, `${step.id} shows an SVG`);
      assert.ok(altText && altText.length >= 20, `${step.id} has alt text`);
      const text = fs.readFileSync(path.join(root, svg!), 'utf8');
      assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox=/);
      assert.match(text, /<title id="t">[^<]{20,}<\/title>/, `${svg} names what it shows`);
      assert.match(text, /fill="var\(--vscode-foreground/, `${svg} takes the theme's colours`);
      assert.doesNotMatch(text, /(href|src)=|url\(|@import|<script|<image/i, `${svg} loads nothing else`);
      // The walkthrough shows the SVG in a webview whose CSP allows no <style> or style="": colours are attributes.
      assert.doesNotMatch(text, /<style|style=|class=/, `${svg} colours through presentation attributes`);
    }
  });

  it('Delete with Dependents is on model and image versions; Compare Precisions on source models when trusted', () => {
    const entries = pkg.contributes.menus['view/item/context'] as Array<{ command: string; when: string }>;
    const whens = (id: string) => entries.filter((e) => e.command === id).map((e) => e.when);
    assert.deepEqual(whens('accel.deleteWithDependents'), [
      'view == accel.models && viewItem =~ /^modelVersion/',
      'view == accel.images && viewItem =~ /^imageVersion/',
    ]);
    const [compare] = whens('accel.model.comparePrecisions');
    assert.match(
      compare,
      /^view == accel\.models && viewItem =~ \/modelVersion\(\?!\.\*converted\)\/ && isWorkspaceTrusted$/,
    );
    const titles = new Map(
      (pkg.contributes.commands as Array<{ command: string; title: string }>).map((c) => [c.command, c.title]),
    );
    assert.equal(titles.get('accel.deleteWithDependents'), 'Delete with Dependents…');
    assert.equal(titles.get('accel.model.comparePrecisions'), 'Compare Precisions…');
  });
});
