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
