import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `registrations.contact_params`: the Contact's header parameters other than expires, as the
 * device sent them (`;+sip.instance="<urn:…>";reg-id=1`, RFC 5626 §4.2), so the 200 OK of every
 * later REGISTER lists each binding as it was registered. Existing bindings have none ('').
 */
export class AuthRegistrationsContactParams1796563600000 implements MigrationInterface {
  readonly name = 'AuthRegistrationsContactParams1796563600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE registrations ADD COLUMN contact_params text NOT NULL DEFAULT ''`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE registrations DROP COLUMN contact_params`);
  }
}
