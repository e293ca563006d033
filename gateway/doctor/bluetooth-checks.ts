import type { Config } from '../config/schema.js';
import type { CheckStatus, DoctorCheck, DoctorHost } from './host.js';

// The radio: is an adapter there, switched on, and may this process open it.

const CAP_NET_ADMIN = 12n;
const CAP_NET_RAW = 13n;
const NEEDED = (1n << CAP_NET_ADMIN) | (1n << CAP_NET_RAW);

const ADAPTER_FIX =
  'plug in the USB Bluetooth adapter, or turn on the built-in one (Raspberry Pi: remove dtoverlay=disable-bt from /boot/firmware/config.txt and reboot); ' +
  '`dmesg | grep -i bluetooth` shows whether the kernel found it, `ls /sys/class/bluetooth` lists it as hciN; then set ble.adapters to the hciN present';

const INSTALLED_UNIT = '/etc/systemd/system/vitrin.service';

/** How bad a radio problem is: demo mode with ble.source auto falls back to the simulated store. */
function severity(config: Config): { status: CheckStatus; consequence: string } {
  return config.ble.mode === 'gateway' && config.mode === 'demo' && config.ble.source === 'auto'
    ? { status: 'warn', consequence: 'demo mode runs the simulated store instead' }
    : { status: 'fail', consequence: 'the gateway cannot start' };
}

function adapterCheck(config: Config, host: DoctorHost): DoctorCheck {
  const { status, consequence } = severity(config);
  const { adapters, uart } = config.ble;
  if (uart !== '') {
    const problem = host.fileAccess(uart, 'read-write');
    if (problem !== undefined) {
      return {
        id: 'bluetooth.adapter',
        status,
        detail: `the HCI UART ble.uart ${uart} cannot be opened (${problem}); ${consequence}`,
        fix: `check the serial controller is wired and enabled (\`ls -l ${uart}\`); under systemd give the service the device: a drop-in with PrivateDevices=no, DeviceAllow=${uart} rw, SupplementaryGroups=dialout`,
      };
    }
  }
  const wanted = adapters.filter((_, i) => i > 0 || uart === '').map((a) => ({ name: `hci${a.device}`, receiver: a.receiver }));
  const present = host.bluetoothAdapters();
  const missing = wanted.filter((w) => !(present ?? []).includes(w.name));
  const listed = wanted.map((w) => `${w.name} (receiver ${w.receiver})`).join(', ');
  if (missing.length === 0) {
    return { id: 'bluetooth.adapter', status: 'ok', detail: uart === '' ? `present: ${listed}` : `HCI UART ${uart}${listed === '' ? '' : `, ${listed}`}` };
  }
  let found: string;
  if (present === undefined) found = 'no Bluetooth adapter: /sys/class/bluetooth does not exist';
  else if (present.length === 0) found = 'no Bluetooth adapter: /sys/class/bluetooth is empty';
  else found = `${missing.map((m) => `${m.name} (receiver ${m.receiver})`).join(', ')} not present; present: ${present.join(', ')}`;
  return { id: 'bluetooth.adapter', status, detail: `${found} (VITRIN_ERR_BLE_ADAPTER); ${consequence}`, fix: ADAPTER_FIX };
}

function rfkillCheck(config: Config, host: DoctorHost): DoctorCheck {
  const switches = host.bluetoothRfkill();
  const hard = switches.filter((s) => s.hard);
  const soft = switches.filter((s) => s.soft && !s.hard);
  const { status, consequence } = severity(config);
  if (hard.length > 0) {
    return {
      id: 'bluetooth.rfkill',
      status,
      detail: `Bluetooth is blocked in hardware (${hard.map((s) => s.name).join(', ')}); ${consequence}`,
      fix: 'turn Bluetooth on with the hardware switch or in the BIOS/firmware settings, then check with `rfkill list bluetooth`',
    };
  }
  if (soft.length > 0) {
    return {
      id: 'bluetooth.rfkill',
      status,
      detail: `Bluetooth is blocked by rfkill (${soft.map((s) => s.name).join(', ')}); ${consequence}`,
      fix: 'sudo rfkill unblock bluetooth (systemd-rfkill remembers the state across reboots)',
    };
  }
  return { id: 'bluetooth.rfkill', status: 'ok', detail: switches.length === 0 ? 'no Bluetooth radio switch' : `not blocked (${switches.map((s) => s.name).join(', ')})` };
}

function permissionCheck(config: Config, host: DoctorHost): DoctorCheck {
  const { uid, effective } = host.processCapabilities();
  const permitted = effective === undefined ? uid === 0 : (effective & NEEDED) === NEEDED;
  if (permitted) {
    return { id: 'bluetooth.permission', status: 'ok', detail: `this process has CAP_NET_RAW and CAP_NET_ADMIN${uid === 0 ? ' (root)' : ''}, as vitrin.service gives the service` };
  }
  const unit = host.readText(INSTALLED_UNIT) ?? '';
  const granted = /^AmbientCapabilities=.*CAP_NET_RAW/m.test(unit) && /^AmbientCapabilities=.*CAP_NET_ADMIN/m.test(unit);
  if (granted) {
    return {
      id: 'bluetooth.permission',
      status: 'warn',
      detail: `this shell lacks CAP_NET_RAW and CAP_NET_ADMIN; ${INSTALLED_UNIT} grants them to the service, so the adapter was not tried as the service would`,
      fix: 'run the doctor as root: sudo vitrin doctor',
    };
  }
  const { status, consequence } = severity(config);
  return {
    id: 'bluetooth.permission',
    status,
    detail: `no CAP_NET_RAW and CAP_NET_ADMIN, which the raw HCI socket needs (VITRIN_ERR_BLE_PERMISSION); ${consequence}`,
    fix: 'run the gateway as vitrin.service, which grants them (AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN): sudo ./systemd/install.sh; or set ble.binding: dbus to go through bluetoothd',
  };
}

function bindingCheck(config: Config, host: DoctorHost): DoctorCheck {
  const { status, consequence } = severity(config);
  if (config.ble.binding === 'dbus') {
    const { systemBus, bluetoothd } = host.bluez();
    if (systemBus && bluetoothd) return { id: 'bluetooth.binding', status: 'ok', detail: 'dbus: bluetoothd runs and the system bus is there' };
    return {
      id: 'bluetooth.binding',
      status,
      detail: `dbus: ${systemBus ? 'bluetoothd is not running' : 'no D-Bus system bus'} (VITRIN_ERR_BLE_BINDING); ${consequence}`,
      fix: 'sudo apt-get install bluez && sudo systemctl enable --now bluetooth; or set ble.binding: hci',
    };
  }
  if (config.ble.uart !== '') return { id: 'bluetooth.binding', status: 'ok', detail: `hci over the UART ${config.ble.uart}` };
  const probe = host.hciSocket();
  if (probe.loadError !== undefined) {
    return {
      id: 'bluetooth.binding',
      status,
      detail: `hci: the HCI socket module did not load (${probe.loadError}) (VITRIN_ERR_BLE_BINDING); ${consequence}`,
      fix: 'install the dependencies for this CPU again: sudo ./systemd/install.sh from the Vitrin folder (it runs npm ci --omit=dev in /opt/vitrin)',
    };
  }
  if (probe.socketError !== undefined) {
    return {
      id: 'bluetooth.binding',
      status,
      detail: `hci: the kernel refuses Bluetooth sockets (${probe.socketError}): no Bluetooth support is loaded, or this is a container without it (VITRIN_ERR_BLE_BINDING); ${consequence}`,
      fix: 'on the gateway box itself: sudo modprobe bluetooth (it loads with the adapter\'s driver; `lsmod | grep bluetooth`); a container needs the host\'s network namespace and Bluetooth',
    };
  }
  const wanted = config.ble.adapters.map((a) => a.device);
  const down = probe.devices.filter((d) => wanted.includes(d.id) && !d.up);
  const listed = probe.devices.map((d) => `hci${d.id} (${d.up ? 'up' : 'down'})`).join(', ') || 'none';
  if (down.length > 0) {
    return {
      id: 'bluetooth.binding',
      status,
      detail: `hci: ${down.map((d) => `hci${d.id}`).join(', ')} is down (powered off) (VITRIN_ERR_BLE_ADAPTER); ${consequence}`,
      fix: `sudo rfkill unblock bluetooth, then ${down.map((d) => `sudo hciconfig hci${d.id} up`).join('; ')} (or bluetoothctl power on)`,
    };
  }
  return { id: 'bluetooth.binding', status: 'ok', detail: `hci: the HCI socket opens; controllers: ${listed}` };
}

/** Adapter, radio switch, permission and binding; one line when the store is simulated. */
export function bluetoothChecks(config: Config, host: DoctorHost): DoctorCheck[] {
  if (config.ble.mode === 'gateway' && config.ble.source === 'simulator') {
    return [{ id: 'bluetooth.adapter', status: 'ok', detail: 'ble.source: simulator; no Bluetooth adapter is used' }];
  }
  const checks = [adapterCheck(config, host), rfkillCheck(config, host)];
  if (config.ble.binding === 'hci') checks.push(permissionCheck(config, host));
  checks.push(bindingCheck(config, host));
  return checks;
}
