import type { CliCommand } from '../command';
import { alertsCommand } from './alerts';
import { auditCommand } from './audit';
import { costCommand } from './cost';
import { demoCommand } from './demo';
import { importTomlCommand } from './import-toml';
import { queueCommand } from './queue';
import { reapCommand } from './reap';
import { runnersListCommand, runnersPruneCommand } from './runners';
import { scanCommand } from './scan';
import { serveCommand } from './serve';

/** Every `runner-watch` command. Adding one: a file in this folder and a line here. */
export const commands: readonly CliCommand[] = [
  demoCommand,
  serveCommand,
  scanCommand,
  runnersListCommand,
  runnersPruneCommand,
  reapCommand,
  auditCommand,
  importTomlCommand,
  costCommand,
  queueCommand,
  alertsCommand,
];
