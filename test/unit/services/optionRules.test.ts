// The per-target option rules: what does not apply to a target is refused with the reason (never ignored), and
// auth without TLS on a cluster is refused unless plain text is allowed on purpose.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccelError } from '../../../src/domain/errors';
import { flagsOf } from '../../../src/services/deployService';
import {
  checkDeployFlags,
  checkPlaintext,
  checkUpdateFlags,
  isLoopback,
  tlsChoice,
} from '../../../src/services/optionRules';

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AccelError, String(e));
    assert.equal(e.code, 'InvalidArgument');
    assert.match(e.message, pattern);
    return true;
  });
}

describe('deploy option rules', () => {
  it('refuses --port and --rest-port on Kubernetes, saying why and what to do', () => {
    refused(
      () => checkDeployFlags('kubernetes', ['--port']),
      /--port does not apply to Kubernetes: .*80.*443.*Leave it out/,
    );
    refused(() => checkDeployFlags('kubernetes', ['--rest-port']), /--rest-port does not apply to Kubernetes/);
  });

  it('refuses --rest-port on containers and --network off containers', () => {
    refused(() => checkDeployFlags('container', ['--rest-port']), /--rest-port does not apply to a container service/);
    refused(() => checkDeployFlags('local', ['--network']), /--network does not apply to the local emulator/);
    refused(() => checkDeployFlags('kubernetes', ['--network']), /--network does not apply to Kubernetes/);
  });

  it('refuses every Kubernetes flag on the local emulator and on containers', () => {
    for (const flag of [
      '--dns-label',
      '--tls-server-name',
      '--context',
      '--namespace',
      '--kubeconfig',
      '--aks-cluster',
      '--registry',
      '--image-ref',
      '--autoscale',
      '--min',
      '--max',
    ]) {
      refused(() => checkDeployFlags('local', [flag]), new RegExp(`^${flag} does not apply to the local emulator`));
      refused(
        () => checkDeployFlags('container', [flag]),
        new RegExp(`^${flag} does not apply to a container service`),
      );
      checkDeployFlags('kubernetes', [flag]);
    }
  });

  it('accepts what applies', () => {
    checkDeployFlags('local', ['--port', '--rest-port', '--replicas', '--self-signed', '--no-auth']);
    checkDeployFlags('container', ['--port', '--network', '--ssl-cert', '--ssl-key']);
    checkDeployFlags('kubernetes', ['--replicas', '--self-signed', '--tls-server-name', '--allow-plaintext']);
  });

  it('refuses an unknown target', () => {
    refused(() => checkDeployFlags('cloud' as never, []), /--target cloud is not a target/);
  });

  it('flagsOf names what a request sets, so the extension meets the same rules as the CLI', () => {
    const flags = flagsOf({
      name: 'a',
      image: 'i',
      target: 'kubernetes',
      port: 5000,
      kubernetes: { namespace: 'models', tlsServerName: 'x.example.com', autoscale: false },
    });
    assert.deepEqual(flags, ['--port', '--tls-server-name']);
    refused(() => checkDeployFlags('kubernetes', flags), /--port does not apply to Kubernetes/);
  });
});

describe('update option rules', () => {
  it('a container changes only its replicas in place; the rest says to redeploy', () => {
    const svc = { name: 'ctr', target: 'container' as const };
    checkUpdateFlags(svc, ['--replicas']);
    for (const flag of ['--image', '--auth', '--no-auth', '--description'])
      refused(
        () => checkUpdateFlags(svc, [flag]),
        /delete the service \(accel service delete ctr\) and deploy it again/,
      );
  });

  it('Kubernetes-only update flags are refused on local services', () => {
    const svc = { name: 'loc', target: 'local' as const };
    checkUpdateFlags(svc, ['--image', '--replicas', '--no-auth', '--self-signed', '--no-tls']);
    for (const flag of ['--image-ref', '--registry', '--autoscale'])
      refused(() => checkUpdateFlags(svc, [flag]), new RegExp(`${flag} does not apply to the local emulator`));
    checkUpdateFlags({ name: 'k', target: 'kubernetes' }, ['--image-ref', '--autoscale', '--no-tls']);
  });
});

describe('TLS choice', () => {
  it('one of --self-signed, --ssl-cert/--ssl-key, --no-tls', () => {
    assert.equal(tlsChoice({}), undefined);
    assert.equal(tlsChoice({ selfSigned: true }), 'self-signed');
    assert.equal(tlsChoice({ noTls: true }), 'none');
    assert.deepEqual(tlsChoice({ sslCert: 'c.pem', sslKey: 'k.pem' }), { certFile: 'c.pem', keyFile: 'k.pem' });
    refused(() => tlsChoice({ selfSigned: true, noTls: true }), /Give one of --self-signed, --no-tls/);
    refused(() => tlsChoice({ selfSigned: true, sslCert: 'c.pem', sslKey: 'k.pem' }), /not several/);
    refused(() => tlsChoice({ sslCert: 'c.pem' }), /needs both --ssl-cert <file> and --ssl-key <file>/);
  });
});

describe('keys over plain text', () => {
  it('refuses auth without TLS on a cluster unless allowed, and warns when allowed', () => {
    refused(
      () => checkPlaintext('kubernetes', { name: 'k', authEnabled: true, tls: false }, false),
      /unencrypted across the network.*--self-signed.*--allow-plaintext/,
    );
    const warning = checkPlaintext('kubernetes', { name: 'k', authEnabled: true, tls: false }, true);
    assert.match(warning!, /^Warning: .*unencrypted/);
  });

  it('says nothing when nothing secret crosses the network in plain text', () => {
    assert.equal(checkPlaintext('kubernetes', { name: 'k', authEnabled: true, tls: true }, false), undefined);
    assert.equal(checkPlaintext('kubernetes', { name: 'k', authEnabled: false, tls: false }, false), undefined);
    assert.equal(checkPlaintext('local', { name: 'l', authEnabled: true, tls: false }, false), undefined);
  });

  it('knows loopback addresses', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) assert.equal(isLoopback(h), true, h);
    for (const h of ['10.0.0.4', 'models.example.com', '', undefined]) assert.equal(isLoopback(h), false, String(h));
  });
});
