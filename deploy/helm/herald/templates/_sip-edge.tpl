{{/* The enabled SIP transports as (name, protocol, port) rows; call with the root context. */}}
{{- define "herald.sipEdge.ports" -}}
{{- $t := .Values.sipEdge.transports -}}
{{- $rows := list -}}
{{- if $t.udp.enabled }}{{ $rows = append $rows (dict "name" "sip-udp" "protocol" "UDP" "port" $t.udp.port) }}{{ end -}}
{{- if $t.tcp.enabled }}{{ $rows = append $rows (dict "name" "sip-tcp" "protocol" "TCP" "port" $t.tcp.port) }}{{ end -}}
{{- if $t.tls.enabled }}{{ $rows = append $rows (dict "name" "sip-tls" "protocol" "TCP" "port" $t.tls.port) }}{{ end -}}
{{- if $t.ws.enabled }}{{ $rows = append $rows (dict "name" "sip-ws" "protocol" "TCP" "port" $t.ws.port) }}{{ end -}}
{{- if $t.wss.enabled }}{{ $rows = append $rows (dict "name" "sip-wss" "protocol" "TCP" "port" $t.wss.port) }}{{ end -}}
{{- if not $rows }}{{ fail "sipEdge.transports: enable at least one transport" }}{{ end -}}
{{- toJson $rows -}}
{{- end -}}

{{- define "herald.sipEdge.name" -}}
{{- include "herald.fullname" . }}-sip-edge
{{- end -}}

{{- /* The certificate Secret of TLS and WSS. None is made up: a name of a Secret that does not exist
       would leave the edge in ContainerCreating for ever. */}}
{{- define "herald.sipEdge.tlsSecret" -}}
{{- required "sipEdge.transports.tls and sipEdge.transports.wss need sipEdge.tls.secretName, an existing kubernetes.io/tls Secret" .Values.sipEdge.tls.secretName -}}
{{- end -}}

{{- define "herald.sipEdge.usesTls" -}}
{{- if or .Values.sipEdge.transports.tls.enabled .Values.sipEdge.transports.wss.enabled }}true{{ end -}}
{{- end -}}

{{- /* The edge link's variables (docs/architecture.md, The edge link); call with (dict "root" $ "side" "edge" | "service").
       The edge listens on edgeLink.port (off when disabled); a service finds each edge at its pod's
       DNS name on the headless Service, and takes its partitions' commands and requests over the
       link unless edgeLink.requests is false. Both present the token of the chart's Secret. */}}
{{- define "herald.edgeLinkEnv" -}}
{{- $root := .root -}}
{{- $link := $root.Values.edgeLink -}}
{{- if eq .side "edge" }}
- name: HERALD_EDGE_LINK_PORT
  value: {{ ternary (toString (int64 $link.port)) "off" $link.enabled | quote }}
{{- else if $link.enabled }}
- name: HERALD_EDGE_LINK_ADDRESS_TEMPLATE
  value: {{ printf "{edgeId}.%s-headless.%s.svc.%s:%d" (include "herald.sipEdge.name" $root) $root.Release.Namespace $link.clusterDomain (int64 $link.port) | quote }}
- name: HERALD_EDGE_LINK_REQUESTS
  value: {{ ternary "true" "false" $link.requests | quote }}
{{- end }}
{{- if $link.enabled }}
- name: HERALD_EDGE_LINK_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "herald.secretName" $root }}
      key: edge-link-token
      {{- if $root.Values.secrets.existingSecret }}
      # A Secret managed outside the chart may predate the key: the link then runs without a token.
      optional: true
      {{- end }}
{{- end }}
{{- end -}}
