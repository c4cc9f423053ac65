import { cpus, loadavg, totalmem } from 'node:os';

/**
 * One line describing where the numbers come from, including the 1-minute load average at the
 * time: on a shared machine a load above the core count means the figures are squeezed.
 */
export function machineLine(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  const mem = Math.round(totalmem() / 1024 ** 3);
  return (
    `${list.length} × ${model}, ${mem} GiB RAM, Node ${process.version}, ${process.platform}, ` +
    `load average ${loadavg()[0]?.toFixed(2)}`
  );
}
