{{/* Chart name, overridable. */}}
{{- define "herald.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* `<release>-<chart>` (or the release name alone when it already contains the chart name), kept short
     so that `<fullname>-sip-edge-<ordinal>` stays a valid edge id, pod name and Kafka topic part. */}}
{{- define "herald.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "herald.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "herald.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "herald.labels" -}}
helm.sh/chart: {{ include "herald.chart" . }}
app.kubernetes.io/name: {{ include "herald.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: herald
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "auth"). */}}
{{- define "herald.selectorLabels" -}}
app.kubernetes.io/name: {{ include "herald.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component; call with (dict "root" $ "component" "auth"). */}}
{{- define "herald.componentLabels" -}}
{{ include "herald.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "herald.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "herald.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "herald.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "herald.secretName" -}}
{{- default (printf "%s-secrets" (include "herald.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Secret holding the database password: the user's (e.g. CloudNativePG `<cluster>-app`) or the chart's. */}}
{{- define "herald.postgresPasswordSecret" -}}
{{- default (printf "%s-database" (include "herald.fullname" .)) .Values.postgres.passwordSecret -}}
{{- end -}}

{{- define "herald.postgresPasswordKey" -}}
{{- if .Values.postgres.passwordSecret -}}{{ .Values.postgres.passwordKey }}{{- else -}}password{{- end -}}
{{- end -}}

{{- define "herald.hasPostgresPassword" -}}
{{- if or .Values.postgres.passwordSecret .Values.postgres.password -}}true{{- end -}}
{{- end -}}

{{/* Environment giving DATABASE_URL. The password is substituted by Kubernetes ($(VAR) expansion) so it
     never appears in the ConfigMap or the pod spec. */}}
{{- define "herald.databaseEnv" -}}
{{- $pg := .Values.postgres -}}
{{- if include "herald.hasPostgresPassword" . -}}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "herald.postgresPasswordSecret" . }}
      key: {{ include "herald.postgresPasswordKey" . }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(DATABASE_PASSWORD)@%s:%d/%s?sslmode=%s" $pg.user $pg.host (int $pg.port) $pg.database $pg.sslMode | quote }}
{{- else -}}
- name: DATABASE_URL
  value: {{ printf "postgres://%s@%s:%d/%s?sslmode=%s" $pg.user $pg.host (int $pg.port) $pg.database $pg.sslMode | quote }}
{{- end }}
{{- end -}}

{{/* Environment every long-running component shares; call with (dict "root" $ "component" "auth" "logLevel" "..."). */}}
{{- define "herald.commonEnv" -}}
{{- $root := .root -}}
- name: HERALD_MODE
  value: distributed
- name: HERALD_LOG_LEVEL
  value: {{ default $root.Values.herald.logLevel .logLevel | quote }}
- name: KAFKA_CLIENT_ID
  value: {{ printf "%s-%s" $root.Values.kafka.clientIdPrefix .component | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "herald-%s" .component | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "service.instance.id=$(POD_NAME),k8s.pod.name=$(POD_NAME)"
{{- if $root.Values.kafka.sasl.enabled }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.passwordSecret is required when kafka.sasl.enabled" $root.Values.kafka.sasl.passwordSecret }}
      key: {{ $root.Values.kafka.sasl.passwordKey }}
{{- end }}
- name: HERALD_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "herald.secretName" $root }}
      key: admin-token
- name: HERALD_AOR_HASH_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "herald.secretName" $root }}
      key: aor-hash-key
      {{- if $root.Values.secrets.existingSecret }}
      # A Secret managed outside the chart may predate the key: spans then carry the unkeyed hash.
      optional: true
      {{- end }}
{{ include "herald.databaseEnv" $root }}
{{- end -}}

{{/* The user's extraEnv, after the chart's own variables. */}}
{{- define "herald.extraEnv" -}}
{{- with .Values.extraEnv }}
{{- toYaml . }}
{{- end }}
{{- end -}}

{{/* The restricted-profile pod securityContext. */}}
{{- define "herald.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The restricted-profile container securityContext. */}}
{{- define "herald.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Volumes and mounts every container needs with a read-only root filesystem. */}}
{{- define "herald.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "herald.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* The Kafka TLS files (KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE): the CA, the mTLS client certificate. */}}
{{- define "herald.kafkaTlsVolumes" -}}
{{- $tls := .Values.kafka.tls -}}
{{- if and $tls.enabled $tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ $tls.caSecret }}
    items:
      - key: {{ $tls.caKey }}
        path: ca.crt
{{- end }}
{{- if and $tls.enabled $tls.clientSecret }}
- name: kafka-client
  secret:
    secretName: {{ $tls.clientSecret }}
    items:
      - key: {{ $tls.clientCertKey }}
        path: tls.crt
      - key: {{ $tls.clientKeyKey }}
        path: tls.key
{{- end }}
{{- end -}}

{{- define "herald.kafkaTlsVolumeMounts" -}}
{{- $tls := .Values.kafka.tls -}}
{{- if and $tls.enabled $tls.caSecret }}
- name: kafka-ca
  mountPath: /etc/herald/kafka-ca
  readOnly: true
{{- end }}
{{- if and $tls.enabled $tls.clientSecret }}
- name: kafka-client
  mountPath: /etc/herald/kafka-client
  readOnly: true
{{- end }}
{{- end -}}

{{/* Probes on the health endpoints; the HTTP port is named `http` in every container. */}}
{{- define "herald.probes" -}}
startupProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* Spread one component's pods over nodes and zones when possible. */}}
{{- define "herald.topologySpread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "herald.selectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "herald.selectorLabels" . | nindent 8 }}
{{- end -}}

{{/* Pod annotations that roll the pods when their configuration changes. */}}
{{- define "herald.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/common/configmap.yaml") . | sha256sum }}
{{- end -}}
