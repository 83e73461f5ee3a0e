import { describeEsdbServers } from './esdb-servers';

describe('describeEsdbServers', () => {
  it('names the servers without credentials or options', () => {
    expect(describeEsdbServers('esdb://admin:changeit@127.0.0.1:2113?tls=false')).toBe(
      'esdb://127.0.0.1:2113',
    );
    expect(describeEsdbServers('esdb://admin:p%40ss@node1:2113,node2:2114?tls=true')).toBe(
      'esdb://node1:2113,node2:2114',
    );
    expect(describeEsdbServers('esdb+discover://admin:changeit@cluster.example:2113')).toBe(
      'esdb+discover://cluster.example:2113',
    );
  });

  it('says nothing of a string the client cannot read', () => {
    expect(describeEsdbServers('esdb://admin:secret@')).toBe('the connection string given');
  });
});
