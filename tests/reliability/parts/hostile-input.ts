import type { Part, Row } from '../report.js';
import { cloudPackages } from './cloud-packages.js';
import { hostileFiles } from './hostile-files.js';
import { hostileNetwork } from './hostile-network.js';

// Item 6: hostile input, all of it refused with a code, none of it stopping the service.

export const hostileInput: Part = {
  id: '6',
  title: 'hostile input',
  async run(mode) {
    const seed = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);
    const rows: Row[] = [];
    rows.push(...(await hostileNetwork(mode, seed)));
    rows.push(...(await hostileFiles(mode, seed)));
    rows.push(await cloudPackages(mode, seed));
    return rows;
  },
};
