import { machineInfo, recordResult } from './lib/results';

/** Records the machine a benchmark run starts on (CPU, cores, memory, Node, load average). */
const machine = machineInfo();
recordResult('machine', 'CPU', 'machine', machine.cpu, '');
recordResult('machine', 'cores', 'machine', machine.cores, '');
recordResult('machine', 'memory', 'machine', machine.memoryGiB, 'GiB');
recordResult('machine', 'Node', 'machine', machine.node, '');
recordResult('machine', 'load average at start (1, 5, 15 min)', 'machine', machine.load, '');
