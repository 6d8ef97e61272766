#!/usr/bin/env node
import { text } from 'node:stream/consumers';
import { runCli } from './cli';

/** The `herald` operator CLI (docs/admin.md): talks to the admin API over HTTP. */
void runCli(process.argv.slice(2), process.env, {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  stdin: () => text(process.stdin),
  progress: {
    isTTY: process.stderr.isTTY === true,
    write: (chunk) => process.stderr.write(chunk),
  },
}).then((status) => {
  process.exitCode = status;
});
