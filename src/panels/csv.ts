// CSV cells for exports that people open in spreadsheets: RFC 4180 quoting, and cells that a spreadsheet would
// run as a formula (leading = + - @, tab or CR; e.g. a model's label or a file name) are defused with a leading
// apostrophe (OWASP "CSV injection"). Plain numbers, negative ones included, stay numbers. Pure: no vscode.

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** One cell, safe to open in Excel, LibreOffice Calc or Google Sheets. */
export function csvCell(value: string): string {
  const v = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return /[",\n\r\t]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One line of cells joined with commas (no line ending). */
export function csvLine(values: string[]): string {
  return values.map(csvCell).join(',');
}
