import { ApiProperty } from '@nestjs/swagger';

class ErrorDetail {
  @ApiProperty({ description: 'Stable, snake_case; clients branch on it', example: 'delivery_not_found' })
  code: string;

  @ApiProperty({ example: 'Delivery dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K not found' })
  message: string;

  @ApiProperty({
    description: 'What the error is about, e.g. the id or the invalid fields',
    type: 'object',
    additionalProperties: true,
    example: { id: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' },
  })
  details: Record<string, unknown>;
}

/** Every error answer of the API (ErrorFilter writes it), documented as each operation's default response. */
export class ErrorView {
  @ApiProperty({ type: ErrorDetail })
  error: ErrorDetail;
}
