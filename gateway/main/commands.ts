// What the command line needs from the adapters, outside a running gateway.

import { probeHciSocket } from '../../adapters/ble-noble/hci-probe.js';
import { linuxHost } from '../../adapters/host/linux-host.js';
import { checkModelFile } from '../../adapters/onnx/model-report.js';
import type { DoctorHost } from '../doctor/host.js';

/** `vitrin model check`: ONNX Runtime tries the model in a child process, so a file that makes it abort is reported, not fatal. */
export const checkModel = (file: string, manifestFile?: string): ReturnType<typeof checkModelFile> => checkModelFile(file, manifestFile, { isolate: true });

/** `vitrin doctor`: the machine's answers (Linux facts, and the HCI socket as noble's binding opens it). */
export function doctorHost(): DoctorHost {
  return { ...linuxHost(), hciSocket: probeHciSocket };
}
