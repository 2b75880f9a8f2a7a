// The allowed shape of the repository, checked in CI (`npm run deps`): which package may import which, no import
// cycles between files, and nothing outside the repository. The package graph (README, "Layout"):
//   cli -> inspector (its build script only), safekey, hf, cpu, gpujs, autograd, core;  inspector -> safekey, hf,
//   gpujs, core;  hf -> safekey, core;  safekey -> autograd, core;  autograd -> core;  cpu -> core;  gpujs -> core;
//   core -> nothing.
// bench/, test/ and examples/ may import any package; no package imports them.
const pkg = (name) => `^packages/${name}/`;
const others = (...allowed) => `^packages/(?!(${allowed.join('|')})/)[^/]+/src/`;

/** A package's sources may import only the packages its line above names (and never tests, bench or examples). */
const allowedPackages = {
  core: [],
  autograd: ['core'],
  cpu: ['core'],
  gpujs: ['core'],
  safekey: ['core', 'autograd'],
  hf: ['core', 'safekey'],
  cli: ['core', 'autograd', 'cpu', 'gpujs', 'safekey', 'hf', 'inspector'],
  inspector: ['core', 'gpujs', 'safekey', 'hf'],
};

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files must not import each other in a cycle (type-only imports included).',
      from: {},
      to: { circular: true },
    },
    ...Object.entries(allowedPackages).map(([name, allowed]) => ({
      name: `package-${name}`,
      severity: 'error',
      comment: `${name} may import only ${allowed.length ? allowed.join(', ') : 'no other package'}.`,
      from: { path: `${pkg(name)}src/` },
      to: { path: others(name, ...allowed) },
    })),
    {
      name: 'no-tests-bench-examples-in-packages',
      severity: 'error',
      comment: 'Package sources never import tests, benchmarks or examples.',
      from: { path: '^packages/[^/]+/src/' },
      to: { path: '^(test|bench|examples)/|^packages/[^/]+/(test|bench)/' },
    },
    {
      name: 'no-other-package-tests',
      severity: 'error',
      comment: "A test imports its own package's test helpers, never another package's test files.",
      from: { path: '^packages/([^/]+)/test/' },
      to: { path: '^packages/[^/]+/test/', pathNot: '^packages/$1/test/' },
    },
    {
      name: 'nothing-outside-the-repository',
      severity: 'error',
      comment: 'Nothing in the repository reads or imports a path outside it.',
      from: {},
      to: { path: '^\\.\\./' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'Every import resolves.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // bench/peers/ holds the peers' own npm projects, set up by the bench (their node_modules are not ours)
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|native/build|wasm/out)/|^bench/peers/' },
    tsPreCompilationDeps: true,
    parser: 'swc',
    combinedDependencies: false,
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['development', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
      mainFields: ['module', 'main', 'types'],
    },
    extraExtensionsToScan: ['.mts'],
  },
};
