import { describeListeningAddresses } from './listening-addresses';

describe('describeListeningAddresses', () => {
  it('says the address bound, not the loopback a client here would use', () => {
    expect(describeListeningAddresses([{ address: '0.0.0.0', family: 'IPv4', port: 4159 }])).toBe(
      'http://0.0.0.0:4159 (every IPv4 interface)',
    );
    expect(describeListeningAddresses([{ address: '::', family: 'IPv6', port: 4159 }])).toBe(
      'http://[::]:4159 (every interface)',
    );
  });

  it('lists every address a name was bound to, IPv6 in brackets', () => {
    expect(
      describeListeningAddresses([
        { address: '127.0.0.1', family: 'IPv4', port: 3000 },
        { address: '::1', family: 'IPv6', port: 3000 },
      ]),
    ).toBe('http://127.0.0.1:3000, http://[::1]:3000');
  });
});
