#!/usr/bin/env node
// Runs every check and test, then prints one summary counted from the runners' JSON
// reports (vitest, Playwright). Typecheck, lint and format count as one test each, so a type
// error fails the summary too. Exit status is non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const results = 'test-results';
rmSync(join(results, 'vitest.json'), { force: true });
rmSync(join(results, 'e2e.json'), { force: true });
mkdirSync(results, { recursive: true });

const counts = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function run(label, command, args, env = {}) {
  console.log(`\n── ${label}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

function check(label, command, args) {
  if (run(label, command, args)) counts.passed += 1;
  else {
    counts.failed += 1;
    failures.push(label);
  }
}

check('typecheck', 'npm', ['run', '--silent', 'typecheck']);
check('lint', 'npx', ['eslint', '.']);
check('format', 'npx', ['prettier', '--check', '.']);

const vitestOk = run('unit + integration (vitest)', 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${join(results, 'vitest.json')}`,
]);
const vitestReport = join(results, 'vitest.json');
if (existsSync(vitestReport)) {
  const report = JSON.parse(readFileSync(vitestReport, 'utf8'));
  counts.passed += report.numPassedTests ?? 0;
  counts.failed += report.numFailedTests ?? 0;
  counts.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that fails to load reports no test as failed; count it so it cannot hide.
  const brokenSuites = (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0,
  ).length;
  counts.failed += brokenSuites;
  if (!vitestOk && (report.numFailedTests ?? 0) + brokenSuites === 0) {
    counts.failed += 1;
    failures.push('vitest exited non-zero');
  }
} else {
  counts.failed += 1;
  failures.push('vitest wrote no report');
}

const built = run('build renderer for e2e', 'npm', ['run', '--silent', 'build:renderer']);
if (!built) {
  counts.failed += 1;
  failures.push('renderer build');
}
const e2eOk = run('end-to-end (Playwright, Chromium)', 'npx', [
  'playwright',
  'test',
  '-c',
  'test/e2e/playwright.config.ts',
]);
const e2eReport = join(results, 'e2e.json');
if (existsSync(e2eReport)) {
  const { stats } = JSON.parse(readFileSync(e2eReport, 'utf8'));
  counts.passed += (stats?.expected ?? 0) + (stats?.flaky ?? 0);
  counts.failed += stats?.unexpected ?? 0;
  counts.skipped += stats?.skipped ?? 0;
  if (!e2eOk && !(stats?.unexpected > 0)) {
    counts.failed += 1;
    failures.push('playwright exited non-zero');
  }
} else {
  counts.failed += 1;
  failures.push('playwright wrote no report');
}

if (failures.length > 0) console.log(`\nfailed steps: ${failures.join(', ')}`);
const summary = `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
writeFileSync(join(results, 'summary.txt'), `${summary}\n`);
console.log(summary);
process.exit(counts.failed > 0 ? 1 : 0);
