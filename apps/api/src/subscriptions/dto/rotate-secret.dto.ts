import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { EXAMPLE_SECRET } from './create-subscription.dto';

/** `POST /v1/subscriptions/:id/rotate-secret`; the body is optional. */
export class RotateSecretDto {
  @ApiPropertyOptional({ description: 'The new secret (`whsec_<base64>`); generated when absent', example: EXAMPLE_SECRET })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  secret?: string;
}
