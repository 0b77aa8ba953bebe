import { expect } from 'chai';
import type { ServerFacts } from '../../lib/checks/facts.ts';
import { dbPatternRe, holds, parseGrantLine, parseGrants } from '../../lib/checks/grants.ts';
import { assessPrivileges, requiredPrivileges } from '../../lib/checks/privileges.ts';

const server = (grants: string[], extra: Partial<ServerFacts> = {}): ServerFacts => ({ version: '10.11.6-MariaDB', logBin: false, trustFunctionCreators: false, grants, ...extra });

describe('split-db check: privileges (pure)', () => {
  it('parses SHOW GRANTS lines: ALL, lists, column grants, table grants, wildcard databases, role and routine lines', () => {
    expect(parseGrantLine('GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION')).to.deep.equal({ privileges: new Set(['ALL PRIVILEGES']), db: '*', table: '*' });
    const g = parseGrantLine('GRANT SELECT, INSERT (a, b), CREATE TEMPORARY TABLES, UPDATE ON `le``gacy`.`products` TO `u`@`%`')!;
    expect([...g.privileges]).to.deep.equal(['SELECT', 'CREATE TEMPORARY TABLES', 'UPDATE']);
    expect(g).to.include({ db: 'le`gacy', table: 'products' });
    expect(parseGrantLine('GRANT `app_role` TO `u`@`%`')).to.equal(null);
    expect(parseGrantLine('GRANT EXECUTE ON PROCEDURE `db`.`p` TO `u`@`%`')).to.equal(null);
    expect(parseGrantLine('GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD \'*ABC\'')!.privileges).to.deep.equal(new Set(['USAGE']));
  });

  it('matches database patterns with _ and % wildcards, \\_ literal', () => {
    expect(dbPatternRe('legacy').test('legacy')).to.equal(true);
    expect(dbPatternRe('svc\\_%').test('svc_product')).to.equal(true);
    expect(dbPatternRe('svc\\_%').test('svcXproduct')).to.equal(false);
    expect(dbPatternRe('svc_%').test('svcXproduct')).to.equal(true);
    expect(dbPatternRe('a.b').test('aXb')).to.equal(false);
  });

  it('a privilege is held through *.*, the database, a wildcard database or the table; global ones only through *.*', () => {
    const g = parseGrants([
      'GRANT PROCESS ON *.* TO `u`@`%`',
      'GRANT SELECT, INSERT ON `legacy`.* TO `u`@`%`',
      'GRANT ALL PRIVILEGES ON `svc\\_%`.* TO `u`@`%`',
      'GRANT TRIGGER ON `legacy`.`products` TO `u`@`%`',
      'GRANT ALTER ON `other`.* TO `u`@`%`',
      // the enabled (default) role's grants are listed by SHOW GRANTS too
      'GRANT `split_role` TO `u`@`%`',
      'GRANT DELETE ON `legacy`.* TO `split_role`',
    ]);
    expect(holds(g, 'DELETE', 'legacy')).to.equal(true);
    expect(holds(g, 'SELECT', 'legacy')).to.equal(true);
    expect(holds(g, 'TRIGGER', 'legacy', 'products')).to.equal(true);
    expect(holds(g, 'TRIGGER', 'legacy', 'categories')).to.equal(false);
    expect(holds(g, 'TRIGGER', 'legacy')).to.equal(false); // a table grant is not a database grant
    expect(holds(g, 'TRIGGER', 'svc_product')).to.equal(true);
    expect(holds(g, 'ALTER', 'legacy', 'products')).to.equal(false);
    expect(holds(g, 'PROCESS', null)).to.equal(true);
    expect(holds(parseGrants(['GRANT ALL PRIVILEGES ON `legacy`.* TO `u`@`%`']), 'PROCESS', null)).to.equal(false);
  });

  it('reports each missing privilege once per side with where and why, PROCESS as a warning, SUPER when the binlog needs it', () => {
    const reqs = requiredPrivileges({ sourceDb: 'legacy', targetDb: 'product_svc', ownershipDb: 'legacy', moved: ['products', 'product_images'], fkDrops: ['likes'], cascadeParents: ['products'] });
    const all = ['GRANT ALL PRIVILEGES ON *.* TO `root`@`%`'];
    expect(assessPrivileges(reqs, { source: server(all), target: server(all), ownership: server(all) }, {})).to.deep.equal([]);
    const source = server(['GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER ON `legacy`.* TO `u`@`%`'], { logBin: true });
    const target = server(['GRANT ALL PRIVILEGES ON `product\\_svc`.* TO `u`@`%`']);
    const found = assessPrivileges(reqs, { source, target, ownership: source }, { source: "'u'", target: "'u'" });
    const text = found.map((f) => `${f.severity} ${f.message}`);
    expect(text).to.deep.equal([
      "blocker source: 'u' lacks TRIGGER on legacy.products, legacy.product_images (needed to capture and fence triggers)",
      "warning source: 'u' lacks PROCESS on *.* (needed to name the sessions that block DDL or the freeze)",
      "warning target: 'u' lacks PROCESS on *.* (needed to name the sessions that block DDL or the freeze)",
      "blocker source: binary logging is on and log_bin_trust_function_creators is off, so CREATE TRIGGER needs SUPER, which 'u' lacks",
    ]);
    expect(found[0].fix).to.equal("GRANT TRIGGER ON `legacy`.<table> TO 'u'");
  });

  it('a missing ALTER for the FK drop and missing target privileges are blockers', () => {
    const reqs = requiredPrivileges({ sourceDb: 'legacy', targetDb: 'product_svc', ownershipDb: 'legacy', moved: ['products'], fkDrops: ['likes'], cascadeParents: [] });
    const source = server(['GRANT PROCESS ON *.* TO `u`@`%`', 'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP ON `legacy`.* TO `u`@`%`', 'GRANT TRIGGER, ALTER ON `legacy`.`products` TO `u`@`%`']);
    const target = server(['GRANT PROCESS ON *.* TO `u`@`%`', 'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX ON `product_svc`.* TO `u`@`%`']);
    const msgs = assessPrivileges(reqs, { source, target, ownership: source }, {}).map((f) => f.message);
    expect(msgs).to.deep.equal([
      'source: the tool user lacks ALTER on legacy.likes (needed to start drops its foreign key into a moved table)',
      'target: the tool user lacks REFERENCES on product_svc.* (needed to create the schema from migrations, copy, fence and reverse-capture triggers)',
      'target: the tool user lacks TRIGGER on product_svc.* (needed to create the schema from migrations, copy, fence and reverse-capture triggers)',
    ]);
  });
});
