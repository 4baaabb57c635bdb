#!/usr/bin/env node
// Prints the reliability figures the last test runs recorded in test-results/figures/
// (faults injected and survived, bad inputs tried, soak kills and wrongful kills), one line
// each and a total. Run after `npm test`, `npm run soak` or a single fault test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join('test-results', 'figures');
if (!existsSync(dir)) {
  console.log(`no figures yet in ${dir}: run the fault, fuzz or soak tests first`);
  process.exit(0);
}
const sets = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
const total = { injected: 0, survived: 0, badInputs: 0, kills: 0, wrongful: 0 };
for (const s of sets) {
  if (s.kind === 'faults') {
    total.injected += s.injected;
    total.survived += s.survived;
    const lost = s.notSurvived.length ? ` (not: ${s.notSurvived.join(', ')})` : '';
    console.log(
      `faults      ${s.label}: ${s.injected} injected, ${s.survived} survived${lost}  [${s.at}]`,
    );
  } else if (s.kind === 'bad-inputs') {
    const n = s.tried ?? s.http + s.ipc;
    total.badInputs += n;
    const how =
      s.tried === undefined ? ` (${s.http} HTTP, ${s.ipc} IPC, ${s.channels} channels)` : '';
    console.log(`bad inputs  ${n}${how}  [${s.at}]`);
  } else if (s.kind === 'soak') {
    total.injected += s.faultsInjected;
    // the soak checks every fault in its run; it counts as survived only when the run passed
    const ok = s.unhandledRejections.length === 0 && s.errorsWithoutFault.length === 0;
    if (ok) total.survived += s.faultsInjected;
    total.kills += s.kills;
    total.wrongful += s.wrongfulKills.length;
    console.log(
      `soak        ${s.simulatedHoursDone.toFixed(1)} of ${s.simulatedHours} simulated h, ${s.cycles} cycles, ` +
        `${s.faultsInjected} faults, ${s.vmsCreated} VMs created, ${s.kills} kills, ` +
        `${s.wrongfulKills.length} wrongful, ${s.unjustifiedKills.length} unjustified, ` +
        `${s.unhandledRejections.length} unhandled rejections  [${s.at}]`,
    );
  }
}
console.log(
  `total       faults ${total.injected} injected, ${total.survived} survived; bad inputs ${total.badInputs}; ` +
    `kills ${total.kills}, wrongful ${total.wrongful}`,
);
