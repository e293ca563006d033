#!/usr/bin/env node
import { runCli } from './cli/vitrin.js';
import { checkModel, doctorHost, openRadio, openRosterStore, startGateway } from './main.js';

process.exitCode = await runCli(process.argv.slice(2), {
  startGateway,
  openRadio,
  openRosterStore,
  checkModel,
  doctorHost,
  env: process.env,
  io: { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
});
