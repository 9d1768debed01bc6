// Compare-your-own page (docs/benchmarks/compare.md): read a user's bench records (JSON lines) with FileReader and
// show them beside the published tables (data/published.json, fetched from this site). Nothing is uploaded: the
// file never leaves the browser. Matching: a record's benchmark gives the table kind (gemm with a preset:
// gemm_model); the case key is the table's key_fields taken from record.params, compared as JSON values.

const SI = [[1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];

function si(x, unit) {  // as cookbook.units.si: 3 significant digits, decimal prefixes
  const ax = Math.abs(x);
  for (const [scale, p] of SI) if (ax >= scale) return `${+(x / scale).toPrecision(3)} ${p}${unit}`;
  return `${+x.toPrecision(3)} ${unit}`;
}

function kindOf(rec) {
  return rec.benchmark === "gemm" && rec.params && "preset" in rec.params ? "gemm_model" : rec.benchmark;
}

function caseKey(fields, values) {
  return fields.map((f) => JSON.stringify(values[f] === undefined ? null : values[f])).join("|");
}

function parseRecords(text) {
  const records = [], problems = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const r = JSON.parse(line);
      if (r && typeof r === "object" && r.benchmark && r.params && r.metrics) records.push(r);
      else problems.push(`line ${i + 1}: not a bench record (needs benchmark, params, metrics)`);
    } catch (e) {
      problems.push(`line ${i + 1}: not JSON`);
    }
  });
  return { records, problems };
}

function index(published) {
  const byKind = new Map();
  for (const t of published.tables) {
    if (!byKind.has(t.kind)) byKind.set(t.kind, []);
    const rows = new Map(t.rows.map((r) => [caseKey(t.key_fields, r.key), r]));
    byKind.get(t.kind).push({ table: t, rows });
  }
  return byKind;
}

function hardware(rec) {
  const p = rec.provenance || {};
  const dev = String(p.device || "cpu");
  if (!dev.startsWith("cuda")) return `CPU: ${(p.host && p.host.cpu) || "unknown"}`;
  const d = (p.devices || [])[Number(dev.split(":")[1] || 0)] || {};
  return `GPU: ${d.name || "unknown"}`;
}

function cell(tr, text, href) {
  const td = document.createElement("td");
  if (href) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.appendChild(a);
  } else td.textContent = text;
  tr.appendChild(td);
}

function compare(records, byKind) {
  const rows = [];
  for (const rec of records) {
    if (rec.status !== "ok") continue;
    const candidates = byKind.get(kindOf(rec)) || [];
    let matched = false;
    for (const { table, rows: pub } of candidates) {
      const mine = rec.metrics[table.metric];
      const row = pub.get(caseKey(table.key_fields, rec.params));
      if (row && typeof mine === "number") {
        rows.push({ rec, table, row, mine, ratio: mine / row.metric });
        matched = true;
      }
    }
    if (!matched) rows.push({ rec, table: null, row: null, mine: null, ratio: null });
  }
  return rows;
}

function metricOf(rec) {
  const m = rec.metrics || {};
  for (const [k, u] of [["flop_per_s_median", "FLOP/s"], ["bytes_per_s_median", "B/s"], ["busbw_bytes_per_s_median", "B/s"]])
    if (typeof m[k] === "number") return si(m[k], u);
  return "";
}

function keyFieldsOf(rec, byKind) {  // the key fields of the record's table kind, else all its parameters
  const tables = byKind.get(kindOf(rec));
  return tables && tables.length ? tables[0].table.key_fields : Object.keys(rec.params);
}

function render(out, rows, dataUrl, byKind) {
  out.replaceChildren();
  const table = document.createElement("table");
  table.className = "bench-compare-table";
  const head = table.createTHead().insertRow();
  for (const h of ["Your case", "Your hardware", "Yours (median)", "Published (median)", "Ratio yours / published",
                   "Published table", "Published hardware"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    const fields = r.table ? r.table.key_fields : keyFieldsOf(r.rec, byKind);
    cell(tr, `${r.rec.benchmark}: ` + fields.filter((f) => r.rec.params[f] !== undefined && r.rec.params[f] !== null)
      .map((f) => `${f}=${r.rec.params[f]}`).join(", "));
    cell(tr, hardware(r.rec));
    if (r.table) {
      cell(tr, si(r.mine, r.table.metric_unit));
      cell(tr, si(r.row.metric, r.table.metric_unit));
      cell(tr, r.ratio.toFixed(3));
      const page = new URL(`../${r.table.page.split("/")[1]}/#${r.table.id}`, dataUrl).href;
      cell(tr, r.table.id, page);
      cell(tr, `${r.table.hardware} (${r.table.device_class.toUpperCase()})`);
    } else {
      cell(tr, metricOf(r.rec));
      cell(tr, "no published row for this case");
      cell(tr, "");
      cell(tr, "");
      cell(tr, "");
    }
  }
  out.appendChild(table);
}

function boot() {
  const root = document.getElementById("bench-compare");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const input = document.getElementById("bench-compare-file");
  const status = document.getElementById("bench-compare-status");
  const out = document.getElementById("bench-compare-out");
  const link = document.getElementById("bench-compare-data");
  const dataUrl = link.href;
  const published = fetch(dataUrl).then((r) => {
    if (!r.ok) throw new Error(`HTTP ${r.status} for ${dataUrl}`);
    return r.json();
  });
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = async () => {
      const { records, problems } = parseRecords(String(reader.result));
      let byKind;
      try {
        byKind = index(await published);
      } catch (e) {
        status.textContent = `Could not read the published tables: ${e.message}`;
        return;
      }
      const rows = compare(records, byKind);
      const matched = rows.filter((r) => r.table).length;
      const notOk = records.filter((r) => r.status !== "ok").length;
      status.textContent = `${file.name}: ${records.length} records read in your browser (nothing uploaded); `
        + `${matched} comparisons with published rows; ${rows.length - matched} of your cases have no published row`
        + (notOk ? `; ${notOk} records not measured (status not ok) left out` : "")
        + (problems.length ? `; problems: ${problems.join("; ")}` : "") + ".";
      render(out, rows, dataUrl, byKind);
    };
    reader.onerror = () => { status.textContent = `Could not read ${file.name}.`; };
    reader.readAsText(file);
  });
}

if (typeof document$ !== "undefined" && document$.subscribe) document$.subscribe(boot);
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
