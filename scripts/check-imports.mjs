// Fails on an import cycle between files or between folders, and on a cloud's program folder
// importing a sibling cloud's. Folders are the top-level ones and, inside programs/, each
// target folder, components/, blueprints/ and lib/: a cycle among them means two concepts
// cannot be read, tested or changed apart. Usage: node scripts/check-imports.mjs [root]
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(process.argv[2] ?? '.');
const SKIP = new Set(['node_modules', 'dist', 'web', '.git', '.strata']);
const SHARED_PROGRAM_FOLDERS = new Set(['components', 'blueprints', 'lib']);

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
}

/** A file's folder: its top-level folder, or programs/<folder> inside programs/. */
function folderOf(file) {
  const parts = path.relative(root, file).split(path.sep);
  if (parts.length === 1) return '.';
  if (parts[0] === 'programs' && parts.length > 2) return `programs/${parts[1]}`;
  return parts[0];
}

const isCloudFolder = (folder) =>
  folder.startsWith('programs/') && !SHARED_PROGRAM_FOLDERS.has(folder.slice('programs/'.length));

/** Strongly connected components with more than one member (Tarjan). */
function cycles(graph) {
  let index = 0;
  const indices = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (node) => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node), indices.get(next)));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

const files = sourceFiles(root);
const fileGraph = new Map();
const folderGraph = new Map();
const problems = [];
for (const file of files) {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const targets = info.importedFiles
    .map((imported) => resolveImport(file, imported.fileName))
    .filter((target) => target !== undefined);
  fileGraph.set(file, new Set(targets));
  const from = folderOf(file);
  for (const target of targets) {
    const to = folderOf(target);
    if (to === from) continue;
    if (!folderGraph.has(from)) folderGraph.set(from, new Set());
    folderGraph.get(from).add(to);
    if (isCloudFolder(from) && isCloudFolder(to)) {
      problems.push(
        `${path.relative(root, file)} imports ${path.relative(root, target)}: a cloud's programs do not import a sibling cloud's (share through programs/lib)`,
      );
    }
  }
}
for (const cycle of cycles(fileGraph)) {
  problems.push(
    `import cycle between files: ${cycle.map((f) => path.relative(root, f)).join(', ')}`,
  );
}
for (const cycle of cycles(folderGraph)) {
  problems.push(`import cycle between folders: ${cycle.join(', ')}`);
}
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(`imports: ${files.length} files, ${folderGraph.size} folders, no cycle`);
