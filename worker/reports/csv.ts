// CSV as RFC 4180 writes it (CRLF line ends; a field with a comma, a quote or a line break in double
// quotes, its quotes doubled), with spreadsheet formula injection neutralised: a text cell that starts
// with = + - @ (or a tab or carriage return, which some spreadsheets skip) gets a leading ', so
// Excel, LibreOffice and Sheets show it as text instead of running it (OWASP "CSV Injection").

export type Cell = string | number | boolean | null | undefined;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(cells: readonly Cell[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}

/** The headers of a CSV download named `filename` (letters, digits, - _ . only). */
export function csvHeaders(filename: string): Record<string, string> {
  return {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
    "Cache-Control": "no-store",
  };
}
