// Planner speed inside Pyodide (CPython on WebAssembly) under Node: the pinned Pyodide of web/ (as
// tests/pyodide_parity.mjs loads it), the cookbook package copied from this working tree into Pyodide's file
// system (it is pure Python, stdlib only), then scripts/bench_planner.py's measure().
// Usage: node scripts/bench_planner_pyodide.mjs [repeats]; prints {pyodide, python, node, records} as JSON.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const pyodideDir = join(root, "web", "node_modules", "pyodide");
const { loadPyodide } = await import(join(pyodideDir, "pyodide.mjs"));
const repeats = Number(process.argv[2] || 5);
const py = await loadPyodide({ stdout: (s) => process.stderr.write(s + "\n") });

function copyTree(src, dst) {
  py.FS.mkdirTree(dst);
  for (const name of readdirSync(src)) {
    const s = join(src, name);
    if (statSync(s).isDirectory()) {
      if (name !== "__pycache__") copyTree(s, `${dst}/${name}`);
    } else if (name.endsWith(".py")) {
      py.FS.writeFile(`${dst}/${name}`, readFileSync(s));
    }
  }
}
copyTree(join(root, "cookbook"), "/home/pyodide/cookbook");
py.FS.writeFile("/home/pyodide/bench_planner.py", readFileSync(join(root, "scripts", "bench_planner.py")));
py.globals.set("REPEATS", repeats);
const out = py.runPython(`
import json, sys
sys.path.insert(0, "/home/pyodide")
import bench_planner
json.dumps({"python": sys.version.split()[0], "records": bench_planner.measure(repeats=REPEATS)})
`);
const doc = JSON.parse(out);
const pkg = JSON.parse(readFileSync(join(pyodideDir, "package.json"), "utf8"));
process.stdout.write(JSON.stringify({ pyodide: pkg.version, node: process.versions.node, ...doc }));
