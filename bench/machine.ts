import { machineInfo, recordResult } from './lib/results';

/** Records the machine a benchmark run starts on (CPU, cores, memory, Node, load average). */
const machine = machineInfo();
// One column per run start, so a report built from several runs shows each one's machine and load.
const run = `run started ${new Date().toISOString().slice(0, 16)}Z`;
recordResult('machine', 'CPU', run, machine.cpu, '');
recordResult('machine', 'cores', run, machine.cores, '');
recordResult('machine', 'memory', run, machine.memoryGiB, 'GiB');
recordResult('machine', 'Node', run, machine.node, '');
recordResult('machine', 'load average at start (1, 5, 15 min)', run, machine.load, '');
