"""Plaintext fixtures: every value type sops knows, nested lists, comments and several documents."""

ALL_TYPES = """\
# head comment
apiVersion: v1 # trailing
kind: Secret
metadata:
  name: db
  annotations:
    mode: 0755
stringData:
  # inside
  password: "hunter2: with colon"
  port: 5432
  ratio: 1.50
  big: 1e+21
  enabled: true
  empty: ""
  old_bool: yes
  when: 2024-01-01
  hosts:
    - primary
    # between
    - 2
    - name: replica
      ports: [1, 2]
    - - nested
      - list
  nested:
    note_unencrypted: visible
    inner: value
  nothing: null
  block: |
    line1
    line2
  # foot of stringData
trailer: "x: y"
# end comment
---
second: doc
n: 1e3
"""

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: app
  namespace: default
type: Opaque
stringData:
  TOKEN: "s3cr3t-value"
  PORT: 8080
"""
