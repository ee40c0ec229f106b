{{/* Names and labels. */}}
{{- define "herald.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "herald.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "herald.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "herald.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "ctx" $ "component" "api"). */}}
{{- define "herald.selectorLabels" -}}
app.kubernetes.io/name: {{ include "herald.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "herald.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/*
The commands of Herald's processes: the same as docker-compose.yml's and deploy/processes.json's
(test/e2e/helm-chart.test.ts fails when they differ).
*/}}
{{- define "herald.command.migrate" -}}
["node", "dist/libs/db/migrate.js"]
{{- end -}}
{{- define "herald.command.api" -}}
["node", "--enable-source-maps", "dist/apps/api/src/main.js"]
{{- end -}}
{{- define "herald.command.worker" -}}
["node", "dist/apps/worker/src/main.js"]
{{- end -}}

{{/* Ports fixed by Herald's processes (HERALD_API_PORT and HERALD_WORKER_METRICS_PORT defaults). */}}
{{- define "herald.apiPort" -}}3000{{- end -}}
{{- define "herald.metricsPort" -}}9464{{- end -}}

{{- define "herald.temporalTlsOn" -}}
{{- if or .Values.temporal.tls.enabled .Values.temporal.tls.clientCertSecret .Values.temporal.tls.caSecret .Values.temporal.apiKeySecret.name -}}true{{- end -}}
{{- end -}}

{{- define "herald.secretRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ .secret }}
    key: {{ .key }}
    {{- if .optional }}
    optional: true
    {{- end }}
{{- end -}}

{{/*
The environment of every Herald process (migrate, api, worker): compose's x-herald-env, with the
secrets taken from the existing Secret and the Temporal TLS files from mounted Secrets.
*/}}
{{- define "herald.env" -}}
{{- $s := required "secrets.existingSecret: the name of an existing Secret holding DATABASE_URL, HERALD_ADMIN_TOKEN and HERALD_SECRET_KEY" .Values.secrets.existingSecret -}}
- name: DATABASE_URL
  {{- include "herald.secretRef" (dict "secret" $s "key" "DATABASE_URL") | nindent 2 }}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address" .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ required "temporal.namespace" .Values.temporal.namespace | quote }}
- name: TEMPORAL_UI_URL
  value: {{ .Values.temporal.uiUrl | quote }}
- name: HERALD_ADMIN_TOKEN
  {{- include "herald.secretRef" (dict "secret" $s "key" "HERALD_ADMIN_TOKEN") | nindent 2 }}
- name: HERALD_INGEST_TOKEN
  {{- include "herald.secretRef" (dict "secret" $s "key" "HERALD_INGEST_TOKEN" "optional" true) | nindent 2 }}
- name: HERALD_SECRET_KEY
  {{- include "herald.secretRef" (dict "secret" $s "key" "HERALD_SECRET_KEY") | nindent 2 }}
- name: HERALD_SECRET_KEY_PREVIOUS
  {{- include "herald.secretRef" (dict "secret" $s "key" "HERALD_SECRET_KEY_PREVIOUS" "optional" true) | nindent 2 }}
- name: HERALD_EGRESS_PROXY
  value: {{ .Values.herald.egressProxy | quote }}
- name: HERALD_LOG_LEVEL
  value: {{ .Values.herald.logLevel | quote }}
- name: HERALD_LOG_FORMAT
  value: json
- name: HERALD_WORKER_METRICS_PORT
  value: {{ include "herald.metricsPort" . | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.herald.otlpEndpoint | quote }}
{{- with .Values.herald.publicUrl }}
- name: HERALD_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- if include "herald.temporalTlsOn" . }}
- name: TEMPORAL_TLS
  value: "true"
{{- end }}
{{- with .Values.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if .Values.temporal.tls.clientCertSecret }}
- name: TEMPORAL_TLS_CERT
  value: /etc/herald/temporal-tls/tls.crt
- name: TEMPORAL_TLS_KEY
  value: /etc/herald/temporal-tls/tls.key
{{- end }}
{{- if .Values.temporal.tls.caSecret }}
- name: TEMPORAL_TLS_CA
  value: /etc/herald/temporal-ca/ca.crt
{{- end }}
{{- if .Values.temporal.apiKeySecret.name }}
- name: TEMPORAL_API_KEY
  {{- include "herald.secretRef" (dict "secret" .Values.temporal.apiKeySecret.name "key" .Values.temporal.apiKeySecret.key) | nindent 2 }}
{{- end }}
{{- with .Values.herald.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes every Herald pod mounts: /tmp (the root filesystem is read-only) and the Temporal TLS files. */}}
{{- define "herald.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.temporal.tls.clientCertSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.clientCertSecret }}
    defaultMode: 0440
{{- end }}
{{- if .Values.temporal.tls.caSecret }}
- name: temporal-ca
  secret:
    secretName: {{ .Values.temporal.tls.caSecret }}
    defaultMode: 0444
{{- end }}
{{- end -}}

{{- define "herald.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.temporal.tls.clientCertSecret }}
- name: temporal-tls
  mountPath: /etc/herald/temporal-tls
  readOnly: true
{{- end }}
{{- if .Values.temporal.tls.caSecret }}
- name: temporal-ca
  mountPath: /etc/herald/temporal-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* The pod-level settings shared by every Herald pod. */}}
{{- define "herald.podSpecCommon" -}}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/*
Herald's search attributes, name=type: libs/temporal/names.ts SEARCH_ATTRIBUTES (the test
compares them).
*/}}
{{- define "herald.searchAttributes" -}}
HeraldEventId=Keyword HeraldEventType=Keyword HeraldSubscriptionId=Keyword HeraldTemplateId=Keyword HeraldTenantId=Keyword HeraldDeliveryStatus=Keyword HeraldAttempts=Int HeraldDeliveredSubscriptionIds=KeywordList HeraldOrderingKey=Keyword HeraldSequence=Int
{{- end -}}

{{/* NetworkPolicy egress of the API and the worker: DNS, Postgres, the Temporal frontend and the receivers (deliveries; the API's test sends). Called with .Values.networkPolicy. */}}
{{- define "herald.commonEgress" -}}
- ports:
    - { port: 53, protocol: UDP }
    - { port: 53, protocol: TCP }
  {{- with .dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- ports:
    - { port: {{ .postgres.port }}, protocol: TCP }
  {{- with .postgres.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- ports:
    - { port: {{ .temporal.port }}, protocol: TCP }
  {{- with .temporal.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if .receivers.enabled }}
- to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except:
          {{- toYaml .receivers.exceptIPv4 | nindent 10 }}
    - ipBlock:
        cidr: ::/0
        except:
          {{- toYaml .receivers.exceptIPv6 | nindent 10 }}
{{- end }}
{{- with .extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end }}
