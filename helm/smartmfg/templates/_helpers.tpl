{{- define "smartmfg.name" -}}{{ .Release.Name }}-smartmfg{{- end -}}
{{- define "smartmfg.secret" -}}{{ default (printf "%s-secrets" (include "smartmfg.name" .)) .Values.existingSecret }}{{- end -}}
{{- define "smartmfg.labels" -}}
app.kubernetes.io/name: smartmfg
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
{{/* The environment every platform process shares (see services/kit/settings.py). */}}
{{- define "smartmfg.env" -}}
- {name: SMARTMFG_TOPOLOGY, value: distributed}
- {name: SMARTMFG_DATA_DIR, value: /tmp/smartmfg}  # the root file system is read-only
- {name: HOME, value: /tmp}
- {name: SMARTMFG_BUS_PARTITIONS, value: {{ .Values.kafka.partitions | quote }}}
- {name: SMARTMFG_PUBLIC_URL, value: {{ .Values.publicUrl | quote }}}
- {name: SMARTMFG_KAFKA_BOOTSTRAP, value: {{ .Values.kafka.bootstrap | quote }}}
- {name: SMARTMFG_MINIO_ENDPOINT, value: {{ .Values.minio.endpoint | quote }}}
- {name: SMARTMFG_LAKE_BUCKET, value: {{ .Values.minio.bucket | quote }}}
- {name: SMARTMFG_KEYCLOAK_URL, value: {{ .Values.keycloak.url | quote }}}
- {name: SMARTMFG_KEYCLOAK_REALM, value: {{ .Values.keycloak.realm | quote }}}
- {name: SMARTMFG_KEYCLOAK_CLIENT_ID, value: {{ .Values.keycloak.clientId | quote }}}
- {name: SMARTMFG_OIDC_ISSUER, value: {{ .Values.keycloak.issuer | quote }}}
- {name: SMARTMFG_ANALYTICS_ENGINE, value: {{ .Values.analytics.engine | quote }}}
- {name: SMARTMFG_TRINO_URL, value: {{ .Values.trino.url | quote }}}
- {name: SMARTMFG_TRINO_CATALOG, value: {{ .Values.trino.catalog | quote }}}
- {name: SMARTMFG_TRINO_USER, value: {{ .Values.trino.user | quote }}}
- {name: SMARTMFG_WARMUP_ENABLED, value: {{ .Values.warmup.enabled | quote }}}
- {name: SMARTMFG_WARMUP_BUDGET_SECONDS, value: {{ .Values.warmup.budgetSeconds | quote }}}
- name: SMARTMFG_DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ include "smartmfg.secret" . }}, key: database-url}}
- name: SMARTMFG_MINIO_ACCESS_KEY
  valueFrom: {secretKeyRef: {name: {{ include "smartmfg.secret" . }}, key: minio-access-key}}
- name: SMARTMFG_MINIO_SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ include "smartmfg.secret" . }}, key: minio-secret-key}}
- name: SMARTMFG_KEYCLOAK_CLIENT_SECRET
  valueFrom: {secretKeyRef: {name: {{ include "smartmfg.secret" . }}, key: keycloak-client-secret}}
{{- end -}}

{{/* Where every service answers; a service pod ignores its own entry and calls its siblings there. */}}
{{- define "smartmfg.serviceUrls" -}}
- name: SMARTMFG_SERVICE_URLS
  value: '{ {{- $first := true -}}{{- range $name, $svc := .Values.services -}}{{- if not $first }},{{ end }}"{{ $name }}":"http://{{ include "smartmfg.name" $ }}-{{ $name }}"{{- $first = false -}}{{- end -}} }'
{{- end -}}

{{/* Pod-level settings every workload shares: the non-root security context and a writable /tmp. */}}
{{- define "smartmfg.podSecurity" -}}
securityContext: {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes: [{name: tmp, emptyDir: {sizeLimit: {{ .Values.tmpSizeLimit }}}}]
{{- end -}}

{{/* Container-level settings every workload shares: security context, /tmp, resources. */}}
{{- define "smartmfg.containerSecurity" -}}
securityContext: {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts: [{name: tmp, mountPath: /tmp}]
resources: {{- toYaml .Values.resources | nindent 2 }}
{{- end -}}

{{/* "true" when a HorizontalPodAutoscaler owns the component's replica count (the Deployment sets none).
     Called with (dict "root" $ "component" name). */}}
{{- define "smartmfg.autoscaled" -}}
{{- $hpa := index .root.Values.autoscaling .component | default dict -}}
{{- if $hpa.enabled }}true{{ end -}}
{{- end -}}
