// The RabbitMQ operators' custom resources that deploy/ uses, written from their CRDs
// (rabbitmq/cluster-operator api/v1beta1 RabbitmqClusterSpec, v2.x; rabbitmq/
// messaging-topology-operator api/v1beta1 Policy, User, Permission). No model package exists
// for them on npm; check.js checks objects of these kinds against these interfaces strictly.
// Add a field here only from the operator's CRD of the version the platform runs.
import type { IObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import type { IAffinity } from "kubernetes-models/v1/Affinity";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { IToleration } from "kubernetes-models/v1/Toleration";
import type { IServiceSpec } from "kubernetes-models/v1/ServiceSpec";
import type { ILocalObjectReference } from "kubernetes-models/v1/LocalObjectReference";

interface Labelled {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface IRabbitmqCluster {
  apiVersion: "rabbitmq.com/v1beta1";
  kind: "RabbitmqCluster";
  metadata: IObjectMeta;
  spec?: {
    replicas?: number;
    image?: string;
    imagePullSecrets?: ILocalObjectReference[];
    service?: {
      type?: "ClusterIP" | "LoadBalancer" | "NodePort";
      annotations?: Record<string, string>;
      ipFamilyPolicy?: string;
    };
    persistence?: { storageClassName?: string; storage?: string };
    resources?: IResourceRequirements;
    affinity?: IAffinity;
    tolerations?: IToleration[];
    rabbitmq?: {
      additionalPlugins?: string[];
      additionalConfig?: string;
      advancedConfig?: string;
      envConfig?: string;
      erlangInetConfig?: string;
    };
    tls?: {
      secretName?: string;
      caSecretName?: string;
      disableNonTLSListeners?: boolean;
    };
    override?: {
      statefulSet?: { metadata?: Labelled; spec?: Record<string, unknown> };
      service?: { metadata?: Labelled; spec?: IServiceSpec };
    };
    skipPostDeploySteps?: boolean;
    terminationGracePeriodSeconds?: number;
    delayStartSeconds?: number;
    autoEnableAllFeatureFlags?: boolean;
    secretBackend?: Record<string, unknown>;
  };
}

interface ClusterReference {
  name?: string;
  namespace?: string;
  connectionSecret?: ILocalObjectReference;
}

export interface IPolicy {
  apiVersion: "rabbitmq.com/v1beta1";
  kind: "Policy";
  metadata: IObjectMeta;
  spec: {
    name: string;
    vhost?: string;
    pattern: string;
    applyTo?: "queues" | "exchanges" | "all" | "classic_queues" | "quorum_queues" | "streams";
    priority?: number;
    definition: Record<string, unknown>;
    rabbitmqClusterReference: ClusterReference;
  };
}

export interface IUser {
  apiVersion: "rabbitmq.com/v1beta1";
  kind: "User";
  metadata: IObjectMeta;
  spec: {
    tags?: ("management" | "policymaker" | "monitoring" | "administrator")[];
    rabbitmqClusterReference: ClusterReference;
    importCredentialsSecret?: ILocalObjectReference;
  };
}

export interface IPermission {
  apiVersion: "rabbitmq.com/v1beta1";
  kind: "Permission";
  metadata: IObjectMeta;
  spec: {
    vhost: string;
    user?: string;
    userReference?: ILocalObjectReference;
    permissions: { configure?: string; write?: string; read?: string };
    rabbitmqClusterReference: ClusterReference;
  };
}
