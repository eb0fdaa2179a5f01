import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childText, childrenNamed, parseXml, XmlSyntaxError } from '../../src/optimizer/prices/xml-tree.ts';

test('elements, attributes, namespace prefixes, entities, character references and CDATA', () => {
  const root = parseXml(
    '<?xml version="1.0" encoding="UTF-8"?>\n<ns:Doc xmlns:ns="urn:x" ns:v="1 &amp; 2"><!-- c --><ns:a>x &lt; y &#x41;&#66;</ns:a><a><![CDATA[<raw>]]></a><b/></ns:Doc>',
  );
  assert.equal(root.name, 'Doc');
  assert.equal(root.attributes['v'], '1 & 2');
  assert.deepEqual(childrenNamed(root, 'a').map((a) => a.text), ['x < y AB', '<raw>']);
  assert.equal(childText(root, 'b'), '');
  assert.equal(childText(root, 'missing'), undefined);
});

test('malformed documents are refused with line and column; no DOCTYPE; one root', () => {
  const where = (xml: string): string => {
    try {
      parseXml(xml);
    } catch (err) {
      assert.ok(err instanceof XmlSyntaxError);
      return `${err.line}:${err.column} ${err.message}`;
    }
    return 'accepted';
  };
  assert.match(where('<a>\n  <b></a>'), /^2:/);
  assert.match(where('<a>'), /^1:/);
  assert.match(where('<!DOCTYPE x [<!ENTITY e "lol">]>\n<a>&e;</a>'), /^1:1 a DOCTYPE is not accepted/);
  assert.notEqual(where('<a/><b/>'), 'accepted');
  assert.notEqual(where(''), 'accepted');
});
