/**
 * The layers of this repository, checked in `npm test` (test/layering.test.ts runs depcruise with this file and
 * fails naming the rule). Read bottom to top:
 *
 *   scripts/, test/ (incl. test/parity), examples/     on top: may import anything
 *   legacy/  |  services/                              the demo: side by side, never each other
 *   rpc/ (+ thrift/ IDL and generated code)            Thrift plumbing and service clients both sides may use
 *   lib/contract/                                      what legacy and services agree on byte for byte; no DB
 *   lib/ (+ the toolkit: strangler/, scripts/split/, lib/ownership, lib/seam, packages/)  knows no demo
 *
 * Tests (a file under a test/ folder or named *.test.ts) may import across the demo's layers; the toolkit's own
 * tests are held to test/layering.test.ts's list of fixtures.
 */
const TEST = '(^|/)test/|\\.test\\.ts$';
const DEMO = '^(legacy|services|rpc|thrift|migrations|scripts/(demo|seed))/';

module.exports = {
  forbidden: [
    {
      name: 'services-not-legacy',
      comment: 'An extracted service stands on its own: it imports the contract (lib/contract) and the clients (rpc/), never legacy/. Its repository owns its queries, even where legacy has the same one.',
      severity: 'error',
      from: { path: '^services/', pathNot: TEST },
      to: { path: '^legacy/' },
    },
    {
      name: 'legacy-not-services',
      comment: "Legacy reaches a service only through its client (rpc/) and the contract (lib/contract), never a service's internals.",
      severity: 'error',
      from: { path: '^legacy/', pathNot: TEST },
      to: { path: '^services/' },
    },
    {
      name: 'rpc-knows-neither-side',
      comment: 'rpc/ (Thrift plumbing and service clients) is shared by legacy and the services, so it imports neither.',
      severity: 'error',
      from: { path: '^rpc/', pathNot: TEST },
      to: { path: '^(legacy|services)/' },
    },
    {
      name: 'contract-is-neutral',
      comment: 'lib/contract holds shapes, presenters, schemas, error codes and paging: pure, no database, no demo, no toolkit machinery.',
      severity: 'error',
      from: { path: '^lib/contract/', pathNot: TEST },
      to: { path: '^(lib/(db|migrate|ownership|seam|events)|legacy|services|rpc|thrift|migrations|strangler|scripts|test)(/|\\.ts$)|(^|/)node_modules/(knex|mysql2|ioredis|bullmq)/' },
    },
    {
      name: 'toolkit-knows-no-demo',
      comment: "The toolkit (strangler/, scripts/split/, lib/ incl. ownership and seam, packages/) is installable on its own: it imports nothing of the demo (not even the demo's contract, lib/contract), scripts or tests.",
      severity: 'error',
      from: { path: '^(strangler|scripts/split|lib|packages)/', pathNot: `${TEST}|^lib/contract/` },
      to: { path: `${DEMO}|^lib/contract/|^(test|examples)/|^scripts/(?!split/)` },
    },
    {
      name: 'lib-is-the-bottom',
      comment: 'lib/ (and lib/contract) is the bottom layer: it imports only lib/ and npm packages.',
      severity: 'error',
      from: { path: '^lib/', pathNot: TEST },
      to: { path: '^(?!lib/|node_modules/)[^/]+/' , dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'scripts-and-tests-on-top',
      comment: 'Nothing below imports scripts/ or test/ (the parity stack and fixture live in test/parity).',
      severity: 'error',
      from: { path: '^(lib|rpc|legacy|services|strangler|thrift|migrations|packages)/', pathNot: TEST },
      to: { path: '^(test|scripts/(?!split/))' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.build|gen-[a-z]+)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
