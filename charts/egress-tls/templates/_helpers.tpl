{{/* Full name of the release's objects: the release name, suffixed with the chart name unless it contains it. */}}
{{- define "egress-tls.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "egress-tls.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "egress-tls.labels" -}}
{{ include "egress-tls.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "egress-tls.serviceAccountName" -}}
{{- default (include "egress-tls.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "egress-tls.servingSecretName" -}}
{{- printf "%s-serving-cert" (include "egress-tls.fullname" .) -}}
{{- end -}}

{{- define "egress-tls.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Namespaces whose Secrets egress-tls writes: its own (CA, SDS-mode leaves, serving certificate)
     and Cilium's secrets namespaces (client-certificate copies for CEC SDS, cilium-facts 4.3;
     inline-mode leaves, cilium-facts 2.1). One per line, de-duplicated. */}}
{{- define "egress-tls.secretWriteNamespaces" -}}
{{- $ns := list .Release.Namespace .Values.cilium.envoySecretsNamespace .Values.cilium.policySecretsNamespace | uniq -}}
{{- join "\n" $ns -}}
{{- end -}}

{{/* Namespaces never sent to the webhook: the configured list plus, always, kube-system and the
     release namespace (the webhook must not gate its own pods or the cluster's). */}}
{{- define "egress-tls.excludedNamespaces" -}}
{{- $ns := concat (list "kube-system" .Release.Namespace) .Values.excludedNamespaces | uniq -}}
{{- toJson $ns -}}
{{- end -}}

{{/* Path of the public roots file inside the container. */}}
{{- define "egress-tls.publicRootsFile" -}}
{{- if eq .Values.publicRoots.source "configMap" -}}
{{- printf "/etc/egress-tls-public-roots/%s" .Values.publicRoots.configMap.key -}}
{{- else -}}
/etc/ssl/certs/ca-certificates.crt
{{- end -}}
{{- end -}}

{{/* Whole seconds of a Go duration written in h, m and s (the schema allows no other units). */}}
{{- define "egress-tls.durationSeconds" -}}
{{- $d := toString . -}}
{{- $h := regexFind "[0-9]+h" $d | trimSuffix "h" | default "0" | atoi -}}
{{- $m := regexFind "[0-9]+m" $d | trimSuffix "m" | default "0" | atoi -}}
{{- $s := regexFind "[0-9]+s" $d | trimSuffix "s" | default "0" | atoi -}}
{{- add (mul $h 3600) (mul $m 60) $s -}}
{{- end -}}

{{/* The config file of `egress-tls serve` (keys as in the application's config contract). */}}
{{- define "egress-tls.config" -}}
{{- $fullname := include "egress-tls.fullname" . -}}
{{- /* self-managed: the app keeps its serving certificate in a Secret and serves it from memory, so no
       files (empty certFile/keyFile); cert-manager: the issued Secret is mounted at /tls. */ -}}
{{- $certManagerServing := eq .Values.servingCertificate.mode "cert-manager" -}}
{{- $groups := list -}}
{{- range $name, $group := .Values.interceptGroups -}}
{{- if $group.enabled -}}
{{- $groups = append $groups (dict "name" $name "hosts" $group.hosts "namespaceSelector" $group.namespaceSelector) -}}
{{- end -}}
{{- end -}}
{{- $config := dict
  "namespace" .Release.Namespace
  "server" (dict
    "port" (int .Values.server.port)
    "certFile" (ternary "/tls/tls.crt" "" $certManagerServing)
    "keyFile" (ternary "/tls/tls.key" "" $certManagerServing)
    "metricsPort" (int .Values.metrics.port)
    "maxRequestBodyBytes" (int64 .Values.webhook.maxRequestBodyBytes)
    "shutdownDelay" (toString .Values.server.shutdownDelay)
    "shutdownTimeout" (toString .Values.server.shutdownTimeout))
  "cilium" (dict
    "version" (toString .Values.cilium.version)
    "secretsMode" .Values.cilium.secretsMode
    "envoySecretsNamespace" .Values.cilium.envoySecretsNamespace
    "policySecretsNamespace" .Values.cilium.policySecretsNamespace
    "clusterwideEnvoyConfig" .Values.cilium.clusterwideEnvoyConfig)
  "ca" (dict
    "source" (ternary "import" .Values.ca.source (eq .Values.ca.source "secret"))
    "secretName" .Values.ca.secretName
    "importSecretName" .Values.ca.importSecretName
    "keyAlgorithm" .Values.ca.keyAlgorithm
    "duration" .Values.ca.duration
    "renewBefore" .Values.ca.renewBefore
    "rotation" (dict "propagation" .Values.ca.rotation.propagation "checkInterval" .Values.ca.rotation.checkInterval)
    "certManager" (dict "issuerKind" .Values.ca.issuer.kind "issuerName" .Values.ca.issuer.name "caSecretName" (.Values.ca.issuer.caSecretName | default "")))
  "leaf" (dict
    "keyAlgorithm" .Values.certificates.keyAlgorithm
    "duration" .Values.certificates.duration
    "renewBefore" .Values.certificates.renewBefore)
  "publicRoots" (dict "file" (include "egress-tls.publicRootsFile" .))
  "trustBundle" (dict "name" .Values.trustBundle.name "mountPath" .Values.trustBundle.mountPath)
  "interceptGroups" $groups
  "flux" (dict
    "enabled" .Values.flux.enabled
    "notificationControllerSelector" .Values.flux.notificationControllerSelector)
  "admission" (dict "applyTimeout" .Values.webhook.applyTimeout)
  "reconciler" (dict
    "enabled" .Values.reconciler.enabled
    "resyncPeriod" .Values.reconciler.resyncPeriod
    "garbageCollectionGracePeriod" .Values.reconciler.garbageCollectionGracePeriod
    "leaderElection" .Values.reconciler.leaderElection)
  "servingCertificate" (dict
    "mode" .Values.servingCertificate.mode
    "secretName" (include "egress-tls.servingSecretName" .)
    "serviceName" $fullname
    "webhookConfigurationName" $fullname
    "duration" .Values.servingCertificate.duration
    "renewBefore" .Values.servingCertificate.renewBefore)
  "excludedNamespaces" (fromJsonArray (include "egress-tls.excludedNamespaces" .))
  "logLevel" .Values.logLevel
-}}
{{- toPrettyJson $config -}}
{{- end -}}
