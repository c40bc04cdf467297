terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
  # Configure a remote state backend for real use, e.g.
  # backend "s3" { bucket = "..." key = "sluice/terraform.tfstate" region = "..." use_lockfile = true }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = merge(var.tags, { "app" = "sluice", "namespace" = var.namespace })
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  name       = var.namespace
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  azs        = slice(data.aws_availability_zones.available.names, 0, 2)
  image      = "${aws_ecr_repository.sluice.repository_url}:${var.image_tag}"
}
