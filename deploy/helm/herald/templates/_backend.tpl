{{/* The Kafka-consuming services (auth, presence, im-router) share one shape. Each template takes
     (dict "root" $ "component" "im-router" "values" $.Values.imRouter); the deployment also takes
     "env", the component's own variables (a list of EnvVar), and "ports", container ports beside
     http (auth's admin); the NetworkPolicy takes "ingress", rules beside the metrics one. */}}

{{- define "herald.backend.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $sel := dict "root" $root "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "herald.fullname" $root }}-{{ .component }}
  labels:
    {{- include "herald.componentLabels" $sel | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "herald.selectorLabels" $sel | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "herald.componentLabels" $sel | nindent 8 }}
      annotations:
        {{- include "herald.configChecksum" $root | nindent 8 }}
    spec:
      serviceAccountName: {{ include "herald.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "herald.podSecurityContext" $root | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- include "herald.topologySpread" $sel | nindent 6 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "herald.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ printf "dist/apps/%s/src/main.js" .component | quote }}]
          ports:
            - name: http
              containerPort: {{ $root.Values.herald.httpPort }}
              protocol: TCP
            {{- with .ports }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "herald.fullname" $root }}-config
          env:
            {{- include "herald.commonEnv" (dict "root" $root "component" .component "logLevel" $v.logLevel) | nindent 12 }}
            # Consumers finish their running handlers and commit within this time after SIGTERM.
            - name: HERALD_SHUTDOWN_GRACE_MS
              value: {{ mul (sub $v.terminationGracePeriodSeconds 5 | max 1) 1000 | quote }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- include "herald.edgeLinkEnv" (dict "root" $root "side" "service") | nindent 12 }}
            {{- with include "herald.extraEnv" $root }}{{ . | nindent 12 }}{{ end }}
          {{- include "herald.probes" $root | nindent 10 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- include "herald.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            {{- include "herald.tmpVolumeMount" $root | nindent 12 }}
            {{- with include "herald.kafkaTlsVolumeMounts" $root | trim }}{{ . | nindent 12 }}{{ end }}
      volumes:
        {{- include "herald.tmpVolume" $root | nindent 8 }}
        {{- with include "herald.kafkaTlsVolumes" $root | trim }}{{ . | nindent 8 }}{{ end }}
{{- end -}}

{{- define "herald.backend.hpa" -}}
{{- $v := .values -}}
{{- if $v.autoscaling.enabled -}}
{{- if gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas) -}}
{{- fail (printf "%s.autoscaling.minReplicas must not exceed maxReplicas" .component) -}}
{{- end -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "herald.fullname" .root }}-{{ .component }}
  labels:
    {{- include "herald.componentLabels" (dict "root" .root "component" .component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "herald.fullname" .root }}-{{ .component }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
{{- end -}}
{{- end -}}

{{- define "herald.backend.pdb" -}}
{{- if .values.podDisruptionBudget.enabled -}}
{{- $sel := dict "root" .root "component" .component -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "herald.fullname" .root }}-{{ .component }}
  labels:
    {{- include "herald.componentLabels" $sel | nindent 4 }}
spec:
  minAvailable: {{ .values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "herald.selectorLabels" $sel | nindent 6 }}
{{- end -}}
{{- end -}}

{{/* A ClusterIP Service for scraping only: the services receive their work from Kafka, not over HTTP. */}}
{{- define "herald.backend.service" -}}
{{- $sel := dict "root" .root "component" .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "herald.fullname" .root }}-{{ .component }}
  labels:
    {{- include "herald.componentLabels" $sel | nindent 4 }}
    herald.io/metrics: "true"
spec:
  type: ClusterIP
  selector:
    {{- include "herald.selectorLabels" $sel | nindent 4 }}
  ports:
    - name: http
      port: {{ .root.Values.herald.httpPort }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/* Ingress: the metrics port, and the component's own rules ("ingress"). Egress: DNS, Kafka,
     PostgreSQL, the OTLP collector and the edges' link port. */}}
{{- define "herald.backend.networkPolicy" -}}
{{- if .root.Values.networkPolicy.enabled -}}
{{- $sel := dict "root" .root "component" .component -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "herald.fullname" .root }}-{{ .component }}
  labels:
    {{- include "herald.componentLabels" $sel | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "herald.selectorLabels" $sel | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    {{- include "herald.networkPolicy.metricsIngress" .root | nindent 4 }}
    {{- with .ingress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  egress:
    {{- include "herald.networkPolicy.dependencyEgress" .root | nindent 4 }}
    {{- if .root.Values.edgeLink.enabled }}
    # The edge link: to the release's edge pods.
    - to:
        - podSelector:
            matchLabels:
              {{- include "herald.selectorLabels" (dict "root" .root "component" "sip-edge") | nindent 14 }}
      ports:
        - port: {{ .root.Values.edgeLink.port }}
          protocol: TCP
    {{- end }}
{{- end -}}
{{- end -}}

{{- define "herald.networkPolicy.metricsIngress" -}}
- ports:
    - port: http
      protocol: TCP
  {{- with .Values.networkPolicy.metricsNamespaceLabels }}
  from:
    - namespaceSelector:
        matchLabels:
          {{- toYaml . | nindent 10 }}
  {{- end }}
{{- end -}}

{{- define "herald.networkPolicy.dependencyEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
- ports:
    {{- range .Values.networkPolicy.kafkaPorts }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
    - port: {{ .Values.postgres.port }}
      protocol: TCP
    {{- if .Values.otel.enabled }}
    - port: {{ .Values.otel.port }}
      protocol: TCP
    {{- end }}
{{- end -}}
