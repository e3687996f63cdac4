// The kit's one CSV tokenizer, shared by score files (src/eval/csv.ts) and dataset label tables
// (src/data/loaders/table.ts): comma-separated fields, RFC 4180 quoting ("a, b" and "" for a
// quote), LF, CRLF or CR line ends, an optional UTF-8 BOM. It only splits text into records; each
// caller checks the header and row widths its own way and picks its own error class.

export interface CsvRecord {
  fields: string[];
  /** The 1-based line of the text where the record starts (a quoted field may span lines). */
  line: number;
}

/**
 * Splits CSV text into records, skipping blank lines (no characters, unquoted). A stray quote or a
 * quoted field left open is refused: `fail` gets a one-line problem ("line 3: ...") and returns
 * the error to throw, so that the message can start with the file name in the caller's style.
 */
export function csvRecords(text: string, fail: (problem: string) => Error): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field had quotes (so it is a field even if empty)
  let line = 1;
  let recordLine = 1;
  const endField = (): void => {
    fields.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = (): void => {
    endField();
    // A blank line (one empty, unquoted field) is no record.
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
    fields = [];
  };
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"') {
      if (field !== '' || wasQuoted) throw fail(`line ${line}: unexpected quote inside a field`);
      quoted = true;
      wasQuoted = true;
    } else if (ch === ',') {
      endField();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (wasQuoted) throw fail(`line ${line}: text after a closing quote`);
      field += ch;
    }
  }
  if (quoted) throw fail(`line ${recordLine}: a quoted field is never closed`);
  if (field !== '' || wasQuoted || fields.length > 0) endRecord();
  return records;
}
