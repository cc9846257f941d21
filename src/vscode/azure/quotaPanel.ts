// A read-only webview with the accelerator quota of a region: families (used/limit), sizes offered, and how
// many replicas of each size the remaining quota allows. No script: static HTML under a strict CSP.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { QuotaReport, Verdict } from '../../azure/quota';

type VerdictFn = (report: QuotaReport, size: string, replicas: number) => Verdict;

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function quotaHtml(
  report: QuotaReport,
  quotaVerdict: VerdictFn,
  subscriptionName: string,
  nonce: string,
  cspSource: string,
): string {
  const rows = (cells: unknown[][]) =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  const sizes = report.sizes.map((s) => {
    const v = quotaVerdict(report, s.name, 1);
    return [s.name, s.kind, s.vCPUs, s.accelerators, s.restriction ?? (v.ok ? `${v.maxReplicas}` : '0'), v.message];
  });
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}';">
<style nonce="${nonce}">
body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:0 16px}
table{border-collapse:collapse;margin:8px 0 20px}th,td{text-align:left;padding:4px 12px;border-bottom:1px solid var(--vscode-panel-border)}
th{color:var(--vscode-descriptionForeground);font-weight:600}.hint{color:var(--vscode-descriptionForeground)}
</style></head><body>
<h2>Accelerator quota in ${esc(report.location)}</h2>
<p class="hint">Subscription ${esc(subscriptionName)} (${esc(report.subscriptionId)})${report.regionalVcpus ? ` · total regional vCPUs: ${report.regionalVcpus.used} used of ${report.regionalVcpus.limit}` : ''}</p>
<h3>VM families</h3>
<table><thead><tr><th>Kind</th><th>Family</th><th>Used</th><th>Limit</th><th>Available</th></tr></thead>
<tbody>${rows(report.families.map((f) => [f.kind, f.localName, f.used, f.limit, f.available])) || '<tr><td colspan="5">No accelerator families in this region.</td></tr>'}</tbody></table>
<h3>Sizes offered</h3>
<table><thead><tr><th>Size</th><th>Kind</th><th>vCPUs</th><th>Accelerators</th><th>Replicas possible</th><th>Verdict</th></tr></thead>
<tbody>${rows(sizes) || '<tr><td colspan="6">This region offers no accelerator sizes.</td></tr>'}</tbody></table>
</body></html>`;
}

export function showQuotaPanel(
  report: QuotaReport,
  quotaVerdict: VerdictFn,
  subscriptionName: string,
): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(
    'accel.azureQuota',
    `Quota: ${report.location}`,
    vscode.ViewColumn.Active,
    { enableScripts: false, localResourceRoots: [] },
  );
  panel.webview.html = quotaHtml(
    report,
    quotaVerdict,
    subscriptionName,
    crypto.randomBytes(16).toString('base64'),
    panel.webview.cspSource,
  );
  return panel;
}
