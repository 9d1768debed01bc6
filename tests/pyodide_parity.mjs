// Runs calculator cases inside Pyodide (CPython 3.14 on WebAssembly) under Node, with the exact wheels staged
// into the built site. Usage: node tests/pyodide_parity.mjs <site dir> <cases.json>
// cases.json: [{name, inputs}]; prints JSON {python, results: [{result | error, live}]} on stdout.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const { loadPyodide } = await import(join(here, "..", "web", "node_modules", "pyodide", "pyodide.mjs"));
const [siteDir, casesFile] = process.argv.slice(2);
const lock = JSON.parse(readFileSync(join(siteDir, "pyodide", "pyodide-lock.json"), "utf8"));
const cases = readFileSync(casesFile, "utf8");

const py = await loadPyodide({ stdout: (s) => process.stderr.write(s + "\n") });
for (const pkg of Object.values(lock.packages)) {
  const path = resolve(siteDir, "pyodide", pkg.file_name);
  const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
  if (sha !== pkg.sha256) throw new Error(`${pkg.file_name}: sha256 ${sha} but the lock says ${pkg.sha256}`);
  await py.loadPackage(path, { checkIntegrity: false, messageCallback: () => {} });
}
py.globals.set("CASES", cases);
const out = py.runPython(`
import json, sys
from cookbook import calculators
from cookbook.errors import CookbookError
import cookbook_page

results = []
for case in json.loads(CASES):
    r = {}
    try:
        r["result"] = calculators.run(case["name"], case["inputs"])
        r["rows"] = [list(x) for x in calculators.rows(case["name"], r["result"])]
    except CookbookError as e:
        r["error"] = str(e)
    r["live"] = json.loads(cookbook_page.live(case["name"], json.dumps(case["inputs"])))
    results.append(r)
json.dumps({"python": sys.version.split()[0], "platform": sys.platform, "results": results})
`);
process.stdout.write(out);
