// A `runner-watch` process whose command is stuck in a step that ignores the abort signal,
// as a FIFO open or a spinning mkdir once was. Run through bin/tsx.mjs by
// test/integration/cli/hostile-cli.test.ts to check that SIGTERM still ends the process
// within the shutdown bound. Argument: the bound in ms.
import { main } from '../../electron/cli/main';

const bound = Number(process.argv[2] ?? '1000');
const code = await main(['stuck'], {
  handleSignals: true,
  shutdownBoundMs: bound,
  commands: [
    {
      name: 'stuck',
      summary: 'never returns and never looks at its signal',
      usage: 'stuck',
      optionHelp: {},
      options: {},
      run: () =>
        new Promise<number>(() => {
          // Keeps the event loop alive, like a pending fs request on a worker thread.
          setInterval(() => undefined, 1_000);
          process.stdout.write('stuck\n');
        }),
    },
  ],
});
process.exitCode = code;
